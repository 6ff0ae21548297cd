"""Before a refund, a confirmation page shows its effect; the page itself writes nothing."""

import re

import pytest
from django.urls import reverse

from billing.models import Refund
from ordermgmt import roles
from tests.billing.confirming import hidden_fields
from tests.billing.test_cash_pages import applied, error_codes, logged_in, refreshed
from tests.factories import billable_account

pytestmark = pytest.mark.django_db

FIN = roles.FINANCE


def shown(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">(.*?)</dd>', html, re.S).group(1)


def test_the_payment_page_sends_the_refund_through_its_confirmation(client):
    logged_in(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")  # 2,000.00 unapplied
    html = client.get(reverse("billing:payment_detail", args=[payment.pk])).content.decode()
    assert f'action="{reverse("billing:payment_refund_confirm", args=[payment.pk])}"' in html


def test_the_refund_confirmation_shows_the_unapplied_cash_after_and_writes_nothing(client):
    logged_in(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")
    response = client.post(
        reverse("billing:payment_refund_confirm", args=[payment.pk]),
        {"refund-amount": "1,500.00", "refund-reference": "RF-1", "refund-reason": "Overpaid"},
    )
    html = response.content.decode()
    assert shown(html, "effect-amount") == "$1,500.00"
    assert shown(html, "effect-unapplied-before") == "$2,000.00"
    assert shown(html, "effect-unapplied-after") == "$500.00"
    assert shown(html, "effect-stripe").startswith("Nothing")
    assert f'action="{reverse("billing:payment_refund", args=[payment.pk])}"' in html
    assert Refund.objects.count() == 0


def test_a_refund_above_the_unapplied_cash_is_refused_before_confirming(client):
    logged_in(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")
    response = client.post(
        reverse("billing:payment_refund_confirm", args=[payment.pk]),
        {"refund-amount": "2000.01", "refund-reference": "RF-1", "refund-reason": "Overpaid"},
    )
    assert error_codes(response.context["refund_form"], "amount") == ["exceeds_unapplied"]
    (payment,) = refreshed(payment)
    assert payment.refunded_amount == 0 and Refund.objects.count() == 0


def test_confirming_records_the_refund_shown(client):
    logged_in(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")
    page = client.post(
        reverse("billing:payment_refund_confirm", args=[payment.pk]),
        {"refund-amount": "1,500.00", "refund-reference": "RF-1", "refund-reason": "Overpaid"},
    ).content.decode()
    hidden = hidden_fields(page)
    client.post(reverse("billing:payment_refund", args=[payment.pk]), hidden)
    (payment,) = refreshed(payment)
    assert payment.refunded_amount == 1500
