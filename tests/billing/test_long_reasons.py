"""A reversal reason as long as the form allows (300 characters) is kept whole on the
reversal, and the history row of the payment or credit note names the reversal within its
reason column, through the service, the API and the page, for cash and for credit on
account (this failed with `value too long for type character varying(100)`)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import CreditApplication, CreditNote, Payment, PaymentApplication
from billing.services import (
    apply_credit_note,
    apply_payment,
    reverse_application,
    reverse_credit_application,
)
from core.audit import history_reason_length
from ordermgmt import roles
from tests.billing.helpers import RECEIVED, issued_invoices, pay
from tests.billing.test_credit_on_account import credit, paid_invoice
from tests.collections.test_aging_book import issued_invoice
from tests.factories import AccountFactory, UserFactory, billable_account

pytestmark = pytest.mark.django_db

REASON = ("Customer paid the wrong invoice; moved to the right one after the call. " * 5)[:300]


def finance(client):
    user = UserFactory(role=roles.FINANCE)
    client.force_login(user)
    return user


def applied_payment():
    (invoice,) = issued_invoices(billable_account())
    payment = pay(invoice.account, "12000.00")
    return apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("5000.00"),
        actor=None,
        applied_date=RECEIVED,
    )


def applied_credit():
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    other = issued_invoice(account, "500.00", date(2026, 2, 1))
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(other, Decimal("100.00"))], actor=None
    )
    return application


def assert_kept_whole_and_trimmed_in_history(reversal, record, user):
    assert len(REASON) == 300
    assert reversal.reason == REASON
    latest = record.history.first()
    limit = history_reason_length(type(record))
    assert latest.history_user == user
    assert len(latest.history_change_reason) <= limit
    assert latest.history_change_reason.endswith(f"_reversed:{reversal.pk}")


def test_reversing_a_payment_application_with_a_300_character_reason_keeps_it_whole():
    application = applied_payment()
    user = UserFactory(role=roles.FINANCE)
    reversal = reverse_application(application=application, actor=user, reason=REASON)
    reversal.refresh_from_db()
    assert_kept_whole_and_trimmed_in_history(reversal, reversal.payment, user)


def test_reversing_a_credit_application_with_a_300_character_reason_keeps_it_whole():
    application = applied_credit()
    user = UserFactory(role=roles.FINANCE)
    reversal = reverse_credit_application(application=application, actor=user, reason=REASON)
    reversal.refresh_from_db()
    assert_kept_whole_and_trimmed_in_history(reversal, reversal.credit_note, user)


def test_the_api_reverses_a_payment_application_with_a_300_character_reason(client):
    application = applied_payment()
    user = finance(client)
    response = client.post(
        f"/api/v1/payment-applications/{application.pk}/reverse/",
        {"reason": REASON},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == REASON
    reversal = PaymentApplication.objects.get(reverses=application)
    assert_kept_whole_and_trimmed_in_history(
        reversal, Payment.objects.get(pk=application.payment_id), user
    )


def test_the_api_reverses_a_credit_application_with_a_300_character_reason(client):
    application = applied_credit()
    user = finance(client)
    response = client.post(
        f"/api/v1/credit-applications/{application.pk}/reverse/",
        {"reason": REASON},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    reversal = CreditApplication.objects.get(reverses=application)
    assert_kept_whole_and_trimmed_in_history(
        reversal, CreditNote.objects.get(pk=application.credit_note_id), user
    )


def test_the_page_reverses_a_payment_application_with_a_300_character_reason(client):
    application = applied_payment()
    user = finance(client)
    response = client.post(
        reverse("billing:application_reverse", args=[application.pk]),
        {f"reverse-{application.pk}-reason": REASON},
    )
    assert response.status_code == 302
    reversal = PaymentApplication.objects.get(reverses=application)
    assert_kept_whole_and_trimmed_in_history(
        reversal, Payment.objects.get(pk=application.payment_id), user
    )


def test_the_page_reverses_a_credit_application_with_a_300_character_reason(client):
    application = applied_credit()
    user = finance(client)
    response = client.post(
        reverse("billing:credit_application_reverse", args=[application.pk]),
        {f"reverse-{application.pk}-reason": REASON},
    )
    assert response.status_code == 302
    reversal = CreditApplication.objects.get(reverses=application)
    assert_kept_whole_and_trimmed_in_history(
        reversal, CreditNote.objects.get(pk=application.credit_note_id), user
    )
