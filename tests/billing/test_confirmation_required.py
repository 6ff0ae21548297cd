"""The console's confirmation pages cannot be skipped: a credit note, a void, a refund or a
write-off is done only when the post carries the signed effect its confirmation showed.
A direct POST changes nothing and shows the preview; a preview whose effect has changed
since (a payment arrived) is shown again with the new figures."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import CreditNote, Invoice, Refund
from billing.writeoffs.models import WriteOff
from core.confirmation import Verdict, check_confirmation, confirmation_token
from ordermgmt import roles
from tests.bank_factories import open_invoice
from tests.billing.confirming import confirmed_refund_fields, hidden_fields
from tests.billing.helpers import pay
from tests.billing.page_helpers import logged_in
from tests.billing.test_cash_pages import applied, refreshed
from tests.billing.test_delivery import issued_invoice
from tests.factories import AccountFactory, UserFactory, billable_account

pytestmark = pytest.mark.django_db

CREDIT = {"credit-amount": "2,000.00", "credit-reason": "goodwill"}


def action_url(invoice, action):
    return reverse("billing:invoice_action", args=[invoice.pk, action])


def preview(client, invoice, action, data):
    url = reverse("billing:invoice_action_confirm", args=[invoice.pk, action])
    fields = hidden_fields(client.get(url, data).content.decode())
    fields.pop("csrfmiddlewaretoken")
    return fields


def test_a_credit_note_posted_without_the_confirmation_changes_nothing_and_asks(client):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    response = client.post(action_url(invoice, "credit"), CREDIT)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="confirm-notice"' in html and 'id="confirm-button"' in html
    assert CreditNote.objects.count() == 0
    assert Invoice.objects.get(pk=invoice.pk).open_amount == Decimal("12000.00")


def test_a_void_posted_without_the_confirmation_changes_nothing(client):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    response = client.post(action_url(invoice, "void"), {"void-reason": "wrong customer"})
    assert response.status_code == 409
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    assert CreditNote.objects.count() == 0


def test_a_credit_previewed_before_a_payment_arrived_is_shown_again_with_the_new_balance(client):
    invoice = issued_invoice()  # 12,000.00 open
    logged_in(client, roles.FINANCE)
    fields = preview(client, invoice, "credit", CREDIT)
    pay(invoice.account, "11000.00", reference="WIRE-LATE")
    from billing.services import apply_oldest_first

    payment = invoice.account.payments.get(reference="WIRE-LATE")
    apply_oldest_first(payment=payment, actor=None)

    stale = client.post(action_url(invoice, "credit"), fields)
    assert stale.status_code == 409 and CreditNote.objects.count() == 0
    html = stale.content.decode()
    assert "figures changed" in html and "$1,000.00" in html  # open balance now
    # Confirming the new preview does it.
    fresh = hidden_fields(html)
    fresh.pop("csrfmiddlewaretoken")
    done = client.post(action_url(invoice, "credit"), fresh)
    assert done.status_code == 302 and CreditNote.objects.count() == 1


def test_a_changed_amount_under_the_preview_token_is_not_done(client):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    fields = preview(client, invoice, "credit", CREDIT)
    fields["credit-amount"] = "9000.00"
    assert client.post(action_url(invoice, "credit"), fields).status_code == 409
    assert CreditNote.objects.count() == 0


def test_another_users_confirmation_is_not_this_users(client):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    fields = preview(client, invoice, "credit", CREDIT)
    logged_in(client, roles.FINANCE)  # someone else, with the first one's token
    assert client.post(action_url(invoice, "credit"), fields).status_code == 409
    assert CreditNote.objects.count() == 0


def test_a_refund_posted_without_the_confirmation_changes_nothing(client):
    logged_in(client, roles.FINANCE)
    _, payment, _ = applied(billable_account(), amount="10000.00")  # 2,000.00 unapplied
    response = client.post(
        reverse("billing:payment_refund", args=[payment.pk]),
        {"refund-amount": "1500.00", "refund-reference": "RF-1", "refund-reason": "Overpaid"},
    )
    assert response.status_code == 409 and 'id="confirm-notice"' in response.content.decode()
    (payment,) = refreshed(payment)
    assert payment.refunded_amount == 0 and Refund.objects.count() == 0


def test_a_refund_previewed_before_the_cash_was_applied_elsewhere_asks_again(client):
    logged_in(client, roles.FINANCE)
    account = billable_account()
    _, payment, _ = applied(account, amount="10000.00")  # 2,000.00 unapplied
    data = {"refund-amount": "500.00", "refund-reference": "RF-1", "refund-reason": "Overpaid"}
    refund_url = reverse("billing:payment_refund", args=[payment.pk])
    fields = confirmed_refund_fields(
        client, reverse("billing:payment_refund_confirm", args=[payment.pk]), data
    )
    from billing.services import apply_payment

    other = open_invoice(account, "1000.00", date(2026, 1, 5), currency="USD")
    apply_payment(payment=payment, invoice=other, amount=Decimal("1000.00"), actor=None)

    stale = client.post(refund_url, fields)
    assert stale.status_code == 409 and Refund.objects.count() == 0
    assert "$1,000.00" in stale.content.decode()  # unapplied cash now


def test_a_write_off_confirmed_without_the_token_shows_the_preview_and_saves_nothing(client):
    invoice = open_invoice(AccountFactory(), "2000.00", date(2026, 2, 1), currency="USD")
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.post(
        "/billing/write-offs/request/",
        {
            "invoice": invoice.number, "amount": "100.00", "reason_code": "bad_debt",
            "memo": "", "write_off_date": "2026-03-10", "confirm": "yes",
        },
    )  # fmt: skip
    assert response.status_code == 409 and 'id="confirm-notice"' in response.content.decode()
    assert WriteOff.objects.count() == 0


def test_a_token_is_stale_when_the_effect_differs_and_missing_when_forged():
    invoice = open_invoice(AccountFactory(), "2000.00", date(2026, 2, 1), currency="USD")
    user = UserFactory(role=roles.FINANCE)
    effect = {"amount": Decimal("5.00"), "open_before": Decimal("2000.00")}
    token = confirmation_token(action="credit", record=invoice, user=user, effect=effect)

    def verdict(token, **changes):
        kwargs = {"action": "credit", "record": invoice, "user": user, "effect": effect}
        return check_confirmation(token, **{**kwargs, **changes})

    assert verdict(token) == Verdict.CONFIRMED
    assert verdict(token, effect={**effect, "open_before": Decimal("1.00")}) == Verdict.STALE
    assert verdict(token, action="void") == Verdict.MISSING
    assert verdict(token[:-2] + "xx") == Verdict.MISSING
    assert verdict("") == Verdict.MISSING
