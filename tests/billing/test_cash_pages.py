"""The cash pages: recording a payment, applying it, reversing an application, refunding,
who may do what, and the payment list's filters."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing import views_cash
from billing.models import Payment, PaymentApplication, Refund
from billing.services import (
    apply_payment,
    refund_payment,
)
from ordermgmt import roles
from tests.billing.confirming import confirmed_refund_fields
from tests.billing.helpers import RECEIVED, issued_invoices, pay
from tests.factories import AccountFactory, UserFactory, billable_account

pytestmark = pytest.mark.django_db

OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)


def logged_in(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def error_codes(form, field: str | None = None) -> list[str]:
    return [e.code for e in form.errors.as_data().get(field or "__all__", [])]


def detail_url(payment) -> str:
    return reverse("billing:payment_detail", args=[payment.pk])


def apply_url(payment) -> str:
    return reverse("billing:payment_apply", args=[payment.pk])


def box(invoice) -> str:
    return f"apply-invoice_{invoice.pk}"


def refreshed(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


# --- Recording -----------------------------------------------------------------------------------


def test_finance_records_a_payment_and_lands_on_its_page(client):
    user = logged_in(client, FIN)
    account = AccountFactory(legal_name="Northwind Traders")
    response = client.post(
        reverse("billing:payment_record"),
        {
            "account": account.pk,
            "method": "wire",
            "reference": "WIRE-778",
            "received_date": "2026-01-20",
            "currency": "USD",
            "amount": "5000.00",
        },
    )
    payment = Payment.objects.get()
    assert response.status_code == 302 and response.url == detail_url(payment)
    assert (payment.account, payment.amount, payment.created_by) == (
        account,
        Decimal("5000.00"),
        user,
    )
    page = client.get(response.url)
    assert "Payment WIRE-778" in text(page) and "Northwind Traders" in text(page)
    assert "Recorded Wire transfer WIRE-778: $5,000.00" in text(page)
    assert page.context["detail"].unapplied == "$5,000.00"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"received_date": "tomorrow"}, "received_date", "in_the_future"),
        ({"reference": "  "}, "reference", "required"),
        ({"amount": "0"}, "amount", "not_positive"),
        ({"amount": "10.001"}, "amount", "not_rounded"),
    ],
)
def test_a_refused_payment_shows_the_error_at_its_field_keeps_the_input_and_saves_nothing(
    client, change, field, code
):
    logged_in(client, FIN)
    account = AccountFactory()
    data = {
        "account": account.pk,
        "method": "check",
        "reference": "CHK-1001",
        "received_date": "2026-01-20",
        "currency": "USD",
        "amount": "250.00",
    }
    data.update(change)
    if data["received_date"] == "tomorrow":
        data["received_date"] = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(reverse("billing:payment_record"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert error_codes(form, field) == [code]
    assert f'data-field="{field}"' in response.content.decode()
    assert form["amount"].value() == data["amount"]
    assert f'value="{data["reference"]}"' in response.content.decode()
    assert Payment.objects.count() == 0


# --- Applying ------------------------------------------------------------------------------------


def test_applying_to_two_invoices_moves_their_open_balances_and_settlement(client):
    user = logged_in(client, FIN)
    account = billable_account()
    first, second = issued_invoices(account, n=2)
    payment = pay(account, "20000.00")
    response = client.post(
        apply_url(payment),
        {box(first): "12000.00", box(second): "5000.00", "apply-applied_date": "2026-01-21"},
    )
    assert response.status_code == 302 and response.url == detail_url(payment)
    first, second, payment = refreshed(first, second, payment)
    assert (first.open_amount, first.settlement_status) == (Decimal("0"), "paid")
    assert (second.open_amount, second.settlement_status) == (Decimal("7000.00"), "partially_paid")
    assert payment.unapplied_amount == Decimal("3000.00")
    applications = PaymentApplication.objects.order_by("id")
    assert [(a.invoice, a.amount, a.applied_date, a.created_by) for a in applications] == [
        (first, Decimal("12000.00"), date(2026, 1, 21), user),
        (second, Decimal("5000.00"), date(2026, 1, 21), user),
    ]
    page = client.get(detail_url(payment))
    assert page.context["detail"].unapplied == "$3,000.00"
    assert [row.invoice for row in page.context["apply_form"].invoice_rows] == [second]


def test_the_apply_form_offers_only_the_payers_open_invoices_in_its_currency(client):
    logged_in(client, FIN)
    account = billable_account()
    (usd,) = issued_invoices(account)
    (eur,) = issued_invoices(account, currency="EUR")
    (other,) = issued_invoices(billable_account())
    (settled,) = issued_invoices(account)
    payment = pay(account, "30000.00")
    apply_payment(payment=payment, invoice=settled, amount=Decimal("12000.00"), actor=None)
    response = client.get(detail_url(payment))
    offered = [row.invoice for row in response.context["apply_form"].invoice_rows]
    assert offered == [usd]
    assert eur.number not in text(response) and other.number not in text(response)


def test_over_application_shows_the_error_at_the_invoice_and_changes_nothing(client):
    logged_in(client, FIN)
    account = billable_account()
    first, second = issued_invoices(account, n=2)
    payment = pay(account, "30000.00")
    response = client.post(apply_url(payment), {box(first): "5000", box(second): "12000.01"})
    assert response.status_code == 400
    form = response.context["apply_form"]
    assert error_codes(form, f"invoice_{second.pk}") == ["exceeds_open_balance"]
    assert error_codes(form, f"invoice_{first.pk}") == []
    html = response.content.decode()
    assert 'value="5000"' in html and 'value="12000.01"' in html
    first, second, payment = refreshed(first, second, payment)
    assert first.paid_amount == second.paid_amount == payment.applied_amount == 0
    assert PaymentApplication.objects.count() == 0


def test_a_payment_cannot_be_applied_to_an_invoice_in_another_currency(client):
    logged_in(client, FIN)
    account = billable_account()
    (usd_invoice,) = issued_invoices(account)
    payment = pay(account, "5000.00", currency="EUR")
    response = client.post(apply_url(payment), {box(usd_invoice): "100.00"})
    assert response.status_code == 400
    form = response.context["apply_form"]
    assert error_codes(form, f"invoice_{usd_invoice.pk}") == ["currency_mismatch"]
    usd_invoice, payment = refreshed(usd_invoice, payment)
    assert usd_invoice.paid_amount == payment.applied_amount == 0
    assert PaymentApplication.objects.count() == 0


def test_applying_with_no_amount_asks_for_one_and_changes_nothing(client):
    logged_in(client, FIN)
    account = billable_account()
    (invoice,) = issued_invoices(account)
    payment = pay(account, "500.00")
    response = client.post(apply_url(payment), {box(invoice): ""})
    assert response.status_code == 400
    assert error_codes(response.context["apply_form"]) == ["no_allocation"]
    assert PaymentApplication.objects.count() == 0


def test_apply_oldest_first_settles_the_invoice_due_first(client):
    logged_in(client, FIN)
    account = billable_account()
    (later,) = issued_invoices(account, payment_terms="NET60")
    (sooner,) = issued_invoices(account, payment_terms="NET15")
    payment = pay(account, "15000.00")
    response = client.post(
        apply_url(payment), {box(later): "1.00", "apply-oldest_first": "1"}
    )  # the boxes are ignored
    assert response.status_code == 302
    later, sooner, payment = refreshed(later, sooner, payment)
    assert (sooner.open_amount, sooner.settlement_status) == (Decimal("0"), "paid")
    assert later.open_amount == Decimal("9000.00")
    assert payment.unapplied_amount == 0
    assert "Applied $15,000.00 to" in text(client.get(detail_url(payment)))


# --- Reversing -----------------------------------------------------------------------------------


def applied(account, amount="5000.00"):
    (invoice,) = issued_invoices(account)
    payment = pay(account, "12000.00")
    application = apply_payment(
        payment=payment, invoice=invoice, amount=Decimal(amount), actor=None, applied_date=RECEIVED
    )
    return invoice, payment, application


def test_reversing_without_a_reason_is_refused_and_changes_nothing(client):
    logged_in(client, FIN)
    invoice, payment, application = applied(billable_account())
    url = reverse("billing:application_reverse", args=[application.pk])
    response = client.post(url, {f"reverse-{application.pk}-reason": "  "})
    assert response.status_code == 400
    (row_form,) = [f for line, f in response.context["application_rows"] if f is not None]
    assert error_codes(row_form, "reason") == ["required"]
    invoice, payment = refreshed(invoice, payment)
    assert invoice.paid_amount == payment.applied_amount == Decimal("5000.00")
    assert PaymentApplication.objects.count() == 1


def test_reversing_with_a_reason_restores_the_open_balance(client):
    user = logged_in(client, FIN)
    invoice, payment, application = applied(billable_account())
    url = reverse("billing:application_reverse", args=[application.pk])
    response = client.post(url, {f"reverse-{application.pk}-reason": "Paid the wrong invoice"})
    assert response.status_code == 302 and response.url == detail_url(payment)
    invoice, payment = refreshed(invoice, payment)
    assert (invoice.open_amount, invoice.settlement_status) == (Decimal("12000.00"), "unpaid")
    assert payment.unapplied_amount == Decimal("12000.00")
    reversal = PaymentApplication.objects.get(reverses=application)
    assert (reversal.amount, reversal.reason, reversal.created_by) == (
        Decimal("-5000.00"),
        "Paid the wrong invoice",
        user,
    )
    page = client.get(detail_url(payment))
    assert "Reversal of" in text(page) and "Paid the wrong invoice" in text(page)
    # Neither the reversed application nor its reversal can be reversed again.
    assert [f for _, f in page.context["application_rows"]] == [None, None]


# --- Refunding -----------------------------------------------------------------------------------


def test_refunding_more_than_the_unapplied_cash_is_refused_and_changes_nothing(client):
    logged_in(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")  # 2,000.00 unapplied
    response = client.post(
        reverse("billing:payment_refund", args=[payment.pk]),
        {"refund-amount": "2000.01", "refund-reference": "RF-1", "refund-reason": "Overpaid"},
    )
    assert response.status_code == 400
    form = response.context["refund_form"]
    assert error_codes(form, "amount") == ["exceeds_unapplied"]
    assert form["reference"].value() == "RF-1"
    (payment,) = refreshed(payment)
    assert payment.refunded_amount == 0 and Refund.objects.count() == 0


def test_refunding_unapplied_cash_records_the_refund(client):
    logged_in(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")
    fields = confirmed_refund_fields(
        client,
        reverse("billing:payment_refund_confirm", args=[payment.pk]),
        {"refund-amount": "2000.00", "refund-reference": "RF-1", "refund-reason": "Overpaid"},
    )
    response = client.post(reverse("billing:payment_refund", args=[payment.pk]), fields)
    assert response.status_code == 302
    (payment,) = refreshed(payment)
    assert (payment.refunded_amount, payment.unapplied_amount) == (Decimal("2000.00"), 0)
    refund = Refund.objects.get()
    assert (refund.reference, refund.reason) == ("RF-1", "Overpaid")
    page = client.get(detail_url(payment))
    assert page.context["detail"].refunded == "$2,000.00" and "RF-1" in text(page)


# --- Who may do what -----------------------------------------------------------------------------


@pytest.fixture
def cash_urls(db):
    account = billable_account()
    invoice, payment, application = applied(account)
    return {
        "record": (
            reverse("billing:payment_record"),
            {
                "account": account.pk,
                "method": "wire",
                "reference": "W-9",
                "received_date": "2026-01-20",
                "currency": "USD",
                "amount": "1.00",
            },
        ),
        "apply": (apply_url(payment), {box(invoice): "1.00"}),
        "oldest first": (apply_url(payment), {"apply-oldest_first": "1"}),
        "reverse": (
            reverse("billing:application_reverse", args=[application.pk]),
            {f"reverse-{application.pk}-reason": "Wrong invoice"},
        ),
        "refund": (
            reverse("billing:payment_refund", args=[payment.pk]),
            {"refund-amount": "1.00", "refund-reference": "R", "refund-reason": "Why"},
        ),
        "payment": payment,
    }


def snapshot():
    return (
        Payment.objects.count(),
        PaymentApplication.objects.count(),
        Refund.objects.count(),
        list(Payment.objects.values_list("applied_amount", "refunded_amount")),
    )


@pytest.mark.parametrize("role", [OS, DD, AUD])
@pytest.mark.parametrize("action", ["record", "apply", "oldest first", "reverse", "refund"])
def test_roles_without_the_permission_get_403_on_every_cash_post(client, cash_urls, role, action):
    logged_in(client, role)
    before = snapshot()
    url, data = cash_urls[action]
    assert client.post(url, data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", [FIN, ADM])
@pytest.mark.parametrize("action", ["record", "apply", "reverse", "refund"])
def test_finance_and_admin_may_make_every_cash_post(client, cash_urls, role, action):
    logged_in(client, role)
    url, data = cash_urls[action]
    if action == "refund":  # through its confirmation, as the page does
        data = confirmed_refund_fields(client, url.replace("/refund/", "/refund/confirm/"), data)
    assert client.post(url, data).status_code == 302


@pytest.mark.parametrize(
    ("role", "expected"), [(FIN, 200), (ADM, 200), (AUD, 200), (OS, 200), (DD, 403)]
)
def test_who_may_open_the_payment_list_and_page(client, cash_urls, role, expected):
    logged_in(client, role)
    assert client.get(reverse("billing:payment_list")).status_code == expected
    assert client.get(detail_url(cash_urls["payment"])).status_code == expected


@pytest.mark.parametrize(("role", "expected"), [(FIN, 200), (AUD, 403), (OS, 403), (DD, 403)])
def test_only_those_who_record_payments_open_the_record_form(client, role, expected):
    logged_in(client, role)
    assert client.get(reverse("billing:payment_record")).status_code == expected


def test_an_auditor_reads_the_payment_page_without_any_form(client, cash_urls):
    logged_in(client, AUD)
    response = client.get(detail_url(cash_urls["payment"]))
    html = response.content.decode()
    assert "apply-form" not in html and "refund-form" not in html and "reverse-form" not in html
    assert "$5,000.00" in text(response)  # applied


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(client):
    response = client.get(reverse("billing:payment_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_cash_post_without_the_csrf_token_is_refused(cash_urls):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(UserFactory(role=FIN))
    before = snapshot()
    url, data = cash_urls["refund"]
    assert csrf_client.post(url, data).status_code == 403
    assert snapshot() == before


def test_the_navigation_links_to_cash_for_those_who_see_payments(client):
    logged_in(client, FIN)
    assert "nav-cash" in client.get("/").content.decode()
    client.force_login(UserFactory(role=DD))
    assert "nav-cash" not in client.get("/").content.decode()


# --- Payment list --------------------------------------------------------------------------------


@pytest.fixture
def three_payments(db):
    north = AccountFactory(legal_name="Northwind Traders")
    contoso = AccountFactory(legal_name="Contoso GmbH")
    wire = pay(north, "100.00", received_date=date(2026, 1, 10), reference="WIRE-1")
    refund_payment(payment=wire, amount=Decimal("100.00"), actor=None, reference="R", reason="x")
    ach = pay(
        contoso,
        "200.00",
        currency="EUR",
        method="ach",
        received_date=date(2026, 2, 15),
        reference="ACH-22",
    )
    check = pay(north, "300.00", method="check", received_date=date(2026, 3, 1), reference="CHK-9")
    return wire, ach, check


def listed(client, **params) -> list[str]:
    response = client.get(reverse("billing:payment_list"), params)
    assert response.status_code == 200
    return [row.payment.reference for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["CHK-9", "ACH-22", "WIRE-1"]),
        ({"account": "northwind"}, ["CHK-9", "WIRE-1"]),
        ({"method": "ach"}, ["ACH-22"]),
        ({"currency": "EUR"}, ["ACH-22"]),
        ({"received_from": "2026-02-01", "received_to": "2026-02-28"}, ["ACH-22"]),
        ({"unapplied": "on"}, ["CHK-9", "ACH-22"]),
        ({"q": "chk"}, ["CHK-9"]),
        ({"account": "northwind", "unapplied": "on"}, ["CHK-9"]),
    ],
)
def test_the_payment_list_filters(client, three_payments, params, expected):
    logged_in(client, AUD)
    assert listed(client, **params) == expected


def test_the_payment_list_refuses_an_inverted_date_range(client, three_payments):
    logged_in(client, FIN)
    response = client.get(
        reverse("billing:payment_list"),
        {"received_from": "2026-03-01", "received_to": "2026-01-01"},
    )
    assert "before the start date" in text(response)


def test_the_payment_list_is_paginated_and_keeps_the_filters(client, three_payments, monkeypatch):
    monkeypatch.setattr(views_cash, "PAYMENTS_PER_PAGE", 1)
    logged_in(client, FIN)
    first = client.get(reverse("billing:payment_list"), {"account": "northwind"})
    assert [r.payment.reference for r in first.context["rows"]] == ["CHK-9"]
    assert "?account=northwind&amp;page=2" in first.content.decode()
    assert listed(client, account="northwind", page=2) == ["WIRE-1"]
