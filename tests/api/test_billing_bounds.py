"""Billing input bounds over the API: invoice and credit note dates near today and in
number order, payment and refund dates in the past but not before the floor, texts no
longer than their column. Each refusal is a 400 naming the field, and changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import CreditNote, NumberSeries, Payment, PaymentApplication, Refund
from billing.services import apply_payment, issue_invoice
from ordermgmt import roles
from ordermgmt.models import Account
from tests.billing.api_helpers import draft_invoice
from tests.billing.helpers import RECEIVED, pay
from tests.factories import AccountFactory, UserFactory, billable_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    client.force_login(UserFactory(role=roles.ADMIN))
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def assert_400(response, field, code):
    assert response.status_code == 400, response.content
    assert (response.json()["field"], response.json()["code"]) == (field, code)


# --- Invoice and credit note dates -------------------------------------------------------


@pytest.mark.parametrize("day", ["4902-06-11", "0372-07-05", "2000-01-01", "9999-12-31"])
def test_issuing_with_a_date_far_from_today_is_refused_and_opens_no_series(api, day):
    invoice = draft_invoice()
    response = post(api, f"/api/v1/invoices/{invoice.pk}/issue/", {"invoice_date": day})
    assert_400(response, "invoice_date", "out_of_window")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", None)
    assert not NumberSeries.objects.exists()


def test_issuing_before_the_last_issued_invoice_of_the_series_is_refused(api):
    first, second = draft_invoice(), draft_invoice()
    today = timezone.localdate()
    issue_invoice(invoice=first, actor=None, invoice_date=today)
    response = post(
        api,
        f"/api/v1/invoices/{second.pk}/issue/",
        {"invoice_date": str(today - timedelta(days=1))},
    )
    assert_400(response, "invoice_date", "before_last_issued")
    second.refresh_from_db()
    assert (second.status, second.number) == ("draft", None)
    assert NumberSeries.objects.get().next_number == 2


def test_issuing_on_the_day_of_the_last_issued_invoice_is_accepted(api):
    first, second = draft_invoice(), draft_invoice()
    today = timezone.localdate()
    issue_invoice(invoice=first, actor=None, invoice_date=today)
    response = post(api, f"/api/v1/invoices/{second.pk}/issue/", {"invoice_date": str(today)})
    assert response.status_code == 200, response.content


def test_the_invoice_date_window_is_a_setting(api, settings):
    settings.LEDGERLINE_DOCUMENT_DATE_FUTURE_DAYS = 0
    invoice = draft_invoice()
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = post(api, f"/api/v1/invoices/{invoice.pk}/issue/", {"invoice_date": str(tomorrow)})
    assert_400(response, "invoice_date", "out_of_window")


def test_a_draft_issued_on_its_own_date_before_the_last_issued_invoice_is_refused(api):
    # A billing run's draft keeps the run's date; issuing it after a later-dated invoice
    # of the same series would put a higher number on an earlier date.
    first, second = draft_invoice(), draft_invoice()
    issue_invoice(invoice=first, actor=None, invoice_date=timezone.localdate())
    assert second.invoice_date < timezone.localdate()
    response = post(api, f"/api/v1/invoices/{second.pk}/issue/")
    assert_400(response, "invoice_date", "before_last_issued")
    second.refresh_from_db()
    assert (second.status, second.number) == ("draft", None)
    assert NumberSeries.objects.get().next_number == 2


def test_a_draft_issued_on_its_own_date_outside_the_window_is_refused(api, settings):
    invoice = draft_invoice()
    settings.LEDGERLINE_DOCUMENT_DATE_PAST_DAYS = (
        timezone.localdate() - invoice.invoice_date
    ).days - 1
    response = post(api, f"/api/v1/invoices/{invoice.pk}/issue/")
    assert_400(response, "invoice_date", "out_of_window")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", None)
    assert not NumberSeries.objects.exists()


def test_a_credit_note_on_todays_default_date_after_a_later_dated_one_is_refused(api):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None, invoice_date=timezone.localdate())
    later = str(timezone.localdate() + timedelta(days=3))
    url = f"/api/v1/invoices/{invoice.pk}/credit-notes/"
    dated = post(api, url, {"reason": "Discount", "amount": "100.00", "credit_date": later})
    assert dated.status_code in (200, 201), dated.content
    response = post(api, url, {"reason": "Discount", "amount": "50.00"})
    assert_400(response, "credit_date", "before_last_issued")
    assert CreditNote.objects.count() == 1


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_credit_note_dated_far_from_today_is_refused(api, day):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    response = post(
        api,
        f"/api/v1/invoices/{invoice.pk}/credit-notes/",
        {"reason": "Discount", "amount": "100.00", "credit_date": day},
    )
    assert_400(response, "credit_date", "out_of_window")
    assert not CreditNote.objects.exists()
    invoice.refresh_from_db()
    assert invoice.credited_amount == 0


# --- Payments and refunds -------------------------------------------------------------------


def payment_body(**overrides):
    body = {
        "account": AccountFactory().pk,
        "amount": "100.00",
        "currency": "USD",
        "received_date": "2026-01-20",
        "method": "wire",
        "reference": "WIRE-1",
    }
    body.update(overrides)
    return body


def test_a_payment_received_in_year_one_is_refused(api):
    response = post(api, "/api/v1/payments/", payment_body(received_date="0001-01-01"))
    assert_400(response, "received_date", "before_floor")
    assert not Payment.objects.exists()


def test_a_payment_received_tomorrow_is_refused(api):
    tomorrow = str(timezone.localdate() + timedelta(days=1))
    response = post(api, "/api/v1/payments/", payment_body(received_date=tomorrow))
    assert_400(response, "received_date", "in_the_future")
    assert not Payment.objects.exists()


@pytest.mark.parametrize("field", ["reference", "external_id"])
def test_a_payment_text_longer_than_its_column_is_refused(api, field):
    response = post(api, "/api/v1/payments/", payment_body(**{field: "r" * 101}))
    assert_400(response, field, "max_length")
    assert not Payment.objects.exists()


def unapplied_payment():
    return pay(billable_account(), "500.00")


def test_a_refund_dated_2099_is_refused(api):
    payment = unapplied_payment()
    response = post(
        api,
        f"/api/v1/payments/{payment.pk}/refund/",
        {"amount": "50.00", "reference": "RF-1", "reason": "Overpaid", "refund_date": "2099-01-01"},
    )
    assert_400(response, "refund_date", "in_the_future")
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.refunded_amount == 0


def test_a_refund_reference_longer_than_its_column_is_refused(api):
    payment = unapplied_payment()
    response = post(
        api,
        f"/api/v1/payments/{payment.pk}/refund/",
        {"amount": "50.00", "reference": "R" * 101, "reason": "Overpaid"},
    )
    assert_400(response, "reference", "max_length")
    assert not Refund.objects.exists()


def applied_payment():
    account = billable_account()
    invoice = issue_invoice(invoice=draft_invoice(account=account), actor=None)
    payment = pay(account, "500.00")
    return apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("500.00"),
        actor=None,
        applied_date=RECEIVED,
    )


def test_a_long_reversal_reason_within_its_column_reverses_the_application(api):
    application = applied_payment()
    reason = "The customer's wire was meant for the March invoice, not this one: " * 3
    response = post(
        api,
        f"/api/v1/payment-applications/{application.pk}/reverse/",
        {"reason": reason.strip()},
    )
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == reason.strip()


def test_a_reversal_reason_longer_than_its_column_is_refused(api):
    application = applied_payment()
    response = post(
        api, f"/api/v1/payment-applications/{application.pk}/reverse/", {"reason": "x" * 301}
    )
    assert_400(response, "reason", "max_length")
    assert PaymentApplication.objects.count() == 1


# --- Accounts -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ZZ", "us", "USA"])
def test_an_account_with_an_unknown_country_is_refused(api, code):
    response = post(api, "/api/v1/accounts/", {"legal_name": "Acme", "billing_country": code})
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "billing_country"
    assert not Account.objects.exists()


def test_an_account_with_an_iso_country_is_created(api):
    response = post(api, "/api/v1/accounts/", {"legal_name": "Acme", "billing_country": "DE"})
    assert response.status_code == 201, response.content


def test_the_floor_date_is_a_setting(api, settings):
    settings.LEDGERLINE_DATE_FLOOR = str(date(2026, 1, 21))
    response = post(api, "/api/v1/payments/", payment_body(received_date="2026-01-20"))
    assert_400(response, "received_date", "before_floor")
