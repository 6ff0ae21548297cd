"""Payments over the REST API: recording, applying, reversing, refunding, errors, filters,
role checks and the schema."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.routers import DefaultRouter

from billing.models import Payment, PaymentApplication, Refund
from billing.services import (
    apply_payment,
    refund_payment,
)
from config import urls
from ordermgmt import roles
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


def as_role(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def payment_url(payment, action: str = "") -> str:
    return f"/api/v1/payments/{payment.pk}/" + (f"{action}/" if action else "")


def refreshed(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


# --- Recording -----------------------------------------------------------------------------------


def test_recording_a_payment_returns_it_unapplied(client):
    user = as_role(client, FIN)
    account = AccountFactory(legal_name="Northwind Traders")
    response = post(
        client,
        "/api/v1/payments/",
        {
            "account": account.pk,
            "amount": "5000.00",
            "currency": "USD",
            "received_date": "2026-01-20",
            "method": "wire",
            "reference": "WIRE-778",
        },
    )
    assert response.status_code == 201
    body = response.json()
    payment = Payment.objects.get()
    assert body["id"] == payment.pk and payment.created_by == user
    assert {k: body[k] for k in ["account_name", "amount", "unapplied_amount", "method"]} == {
        "account_name": "Northwind Traders",
        "amount": "5000.00",
        "unapplied_amount": "5000.00",
        "method": "wire",
    }
    assert body["applications"] == [] and body["refunds"] == []


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"received_date": "tomorrow"}, "received_date", "in_the_future"),
        ({"method": "barter"}, "method", "unknown_method"),
        ({"currency": "ZZZ"}, "currency", "unknown_currency"),
        ({"reference": ""}, "reference", "required"),
        ({"amount": "10.001"}, "amount", "not_rounded"),
    ],
)
def test_a_refused_recording_is_400_with_field_and_code_and_saves_nothing(
    client, change, field, code
):
    as_role(client, FIN)
    data = {
        "account": AccountFactory().pk,
        "amount": "100.00",
        "currency": "USD",
        "received_date": "2026-01-20",
        "method": "ach",
        "reference": "ACH-1",
    }
    data.update(change)
    if data["received_date"] == "tomorrow":
        data["received_date"] = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = post(client, "/api/v1/payments/", data)
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert Payment.objects.count() == 0


# --- Applying ------------------------------------------------------------------------------------


def test_applying_allocations_settles_the_invoices_named(client):
    as_role(client, FIN)
    account = billable_account()
    first, second = issued_invoices(account, n=2)
    payment = pay(account, "20000.00")
    response = post(
        client,
        payment_url(payment, "apply"),
        {
            "allocations": [
                {"invoice": first.pk, "amount": "12000.00"},
                {"invoice": second.pk, "amount": "5000.00"},
            ],
            "applied_date": "2026-01-21",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["applied_amount"], body["unapplied_amount"]) == ("17000.00", "3000.00")
    assert [
        (a["invoice_number"], a["amount"], a["applied_date"]) for a in body["applications"]
    ] == [
        (first.number, "12000.00", "2026-01-21"),
        (second.number, "5000.00", "2026-01-21"),
    ]
    first, second = refreshed(first, second)
    assert (first.open_amount, first.settlement_status) == (Decimal("0"), "paid")
    assert (second.open_amount, second.settlement_status) == (Decimal("7000.00"), "partially_paid")


def test_applying_oldest_first_settles_the_invoice_due_first(client):
    as_role(client, FIN)
    account = billable_account()
    (later,) = issued_invoices(account, payment_terms="NET60")
    (sooner,) = issued_invoices(account, payment_terms="NET15")
    payment = pay(account, "15000.00")
    response = post(client, payment_url(payment, "apply"), {"oldest_first": True})
    assert response.status_code == 200
    assert [(a["invoice"], a["amount"]) for a in response.json()["applications"]] == [
        (sooner.pk, "12000.00"),
        (later.pk, "3000.00"),
    ]
    later, sooner = refreshed(later, sooner)
    assert (sooner.settlement_status, later.open_amount) == ("paid", Decimal("9000.00"))


@pytest.mark.parametrize(
    ("second_amount", "payment_currency", "field", "code"),
    [
        ("12000.01", "USD", "allocations[1].amount", "exceeds_open_balance"),
        ("100.00", "EUR", "allocations[0].invoice", "currency_mismatch"),
    ],
)
def test_a_refused_application_is_400_naming_the_allocation_and_changes_nothing(
    client, second_amount, payment_currency, field, code
):
    as_role(client, FIN)
    account = billable_account()
    first, second = issued_invoices(account, n=2)
    payment = pay(account, "30000.00", currency=payment_currency)
    response = post(
        client,
        payment_url(payment, "apply"),
        {
            "allocations": [
                {"invoice": first.pk, "amount": "5000.00"},
                {"invoice": second.pk, "amount": second_amount},
            ]
        },
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    first, second, payment = refreshed(first, second, payment)
    assert first.paid_amount == second.paid_amount == payment.applied_amount == 0
    assert PaymentApplication.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "allocations_or_oldest_first"),
        ({"oldest_first": True, "allocations": []}, "allocations_or_oldest_first"),
        ({"allocations": []}, "required"),
    ],
)
def test_apply_needs_either_allocations_or_oldest_first(client, body, code):
    as_role(client, FIN)
    account = billable_account()
    issued_invoices(account)
    payment = pay(account, "100.00")
    response = post(client, payment_url(payment, "apply"), body)
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("allocations", code)
    assert PaymentApplication.objects.count() == 0


# --- Reversing -----------------------------------------------------------------------------------


def applied(account, amount="5000.00"):
    (invoice,) = issued_invoices(account)
    payment = pay(account, "12000.00")
    application = apply_payment(
        payment=payment, invoice=invoice, amount=Decimal(amount), actor=None, applied_date=RECEIVED
    )
    return invoice, payment, application


def reverse_url(application) -> str:
    return f"/api/v1/payment-applications/{application.pk}/reverse/"


def test_reversing_without_a_reason_is_400_and_changes_nothing(client):
    as_role(client, FIN)
    invoice, payment, application = applied(billable_account())
    response = post(client, reverse_url(application), {"reason": " "})
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("reason", "required")
    invoice, payment = refreshed(invoice, payment)
    assert invoice.paid_amount == payment.applied_amount == Decimal("5000.00")
    assert PaymentApplication.objects.count() == 1


def test_reversing_an_application_restores_the_open_balance_once(client):
    as_role(client, FIN)
    invoice, payment, application = applied(billable_account())
    response = post(
        client, reverse_url(application), {"reason": "Wrong invoice", "reversal_date": "2026-02-01"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["reverses"], body["reason"], body["applied_date"]) == (
        "-5000.00",
        application.pk,
        "Wrong invoice",
        "2026-02-01",
    )
    invoice, payment = refreshed(invoice, payment)
    assert (invoice.open_amount, invoice.settlement_status) == (Decimal("12000.00"), "unpaid")
    assert payment.unapplied_amount == Decimal("12000.00")
    original = client.get(f"/api/v1/payment-applications/{application.pk}/").json()
    assert original["reversed_by"] == body["id"]

    again = post(client, reverse_url(application), {"reason": "Twice"})
    assert (again.status_code, again.json()["code"]) == (400, "already_reversed")


# --- Refunding -----------------------------------------------------------------------------------


def test_refunding_more_than_the_unapplied_cash_is_400_and_changes_nothing(client):
    as_role(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")
    response = post(
        client,
        payment_url(payment, "refund"),
        {"amount": "2000.01", "reference": "RF-1", "reason": "Overpaid"},
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("amount", "exceeds_unapplied")
    (payment,) = refreshed(payment)
    assert payment.refunded_amount == 0 and Refund.objects.count() == 0


def test_refunding_unapplied_cash_returns_the_payment_with_the_refund(client):
    as_role(client, FIN)
    _, payment, _ = applied(billable_account(), amount="10000.00")
    response = post(
        client,
        payment_url(payment, "refund"),
        {"amount": "2000.00", "reference": "RF-1", "reason": "Overpaid"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["refunded_amount"], body["unapplied_amount"]) == ("2000.00", "0.00")
    assert [(r["amount"], r["reference"], r["reason"]) for r in body["refunds"]] == [
        ("2000.00", "RF-1", "Overpaid")
    ]


# --- Lists and filters ---------------------------------------------------------------------------


def test_payments_filter_by_account_currency_method_dates_and_unapplied(client):
    as_role(client, AUD)
    north, contoso = AccountFactory(), AccountFactory()
    wire = pay(north, "100.00", received_date=date(2026, 1, 10), reference="WIRE-1")
    ach = pay(
        contoso,
        "200.00",
        currency="EUR",
        method="ach",
        received_date=date(2026, 2, 15),
        reference="ACH-22",
    )
    check = pay(north, "300.00", method="check", received_date=date(2026, 3, 1), reference="CHK-9")
    # Refunded in full: nothing of the wire is left unapplied.
    refund_payment(payment=wire, amount=Decimal("100.00"), actor=None, reference="R", reason="x")

    def ids(**params):
        response = client.get("/api/v1/payments/", params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [check.pk, ach.pk, wire.pk]
    assert ids(account=north.pk) == [check.pk, wire.pk]
    assert ids(currency="EUR") == [ach.pk]
    assert ids(method="check") == [check.pk]
    assert ids(received_date_from="2026-02-01", received_date_to="2026-02-28") == [ach.pk]
    assert ids(has_unapplied="true") == [check.pk, ach.pk]
    assert ids(search="WIRE-1") == [wire.pk]


def test_payment_applications_filter_by_payment_and_invoice(client):
    as_role(client, AUD)
    account = billable_account()
    first, second = issued_invoices(account, n=2)
    one, other = pay(account, "1000.00"), pay(account, "1000.00", reference="WIRE-2")
    a = apply_payment(payment=one, invoice=first, amount=Decimal("10.00"), actor=None)
    b = apply_payment(payment=one, invoice=second, amount=Decimal("20.00"), actor=None)
    c = apply_payment(payment=other, invoice=first, amount=Decimal("30.00"), actor=None)

    def ids(**params):
        return [
            r["id"] for r in client.get("/api/v1/payment-applications/", params).json()["results"]
        ]

    assert ids(payment=one.pk) == [a.pk, b.pk]
    assert ids(invoice=first.pk) == [a.pk, c.pk]
    assert ids(payment=one.pk, invoice=first.pk) == [a.pk]


# --- Who may do what -----------------------------------------------------------------------------


@pytest.fixture
def cash_calls(db):
    account = billable_account()
    invoice, payment, application = applied(account)
    return {
        "record": (
            "/api/v1/payments/",
            {
                "account": account.pk,
                "amount": "1.00",
                "currency": "USD",
                "received_date": "2026-01-20",
                "method": "wire",
                "reference": "W-9",
            },
        ),
        "apply": (
            payment_url(payment, "apply"),
            {"allocations": [{"invoice": invoice.pk, "amount": "1.00"}]},
        ),
        "reverse": (reverse_url(application), {"reason": "Wrong invoice"}),
        "refund": (
            payment_url(payment, "refund"),
            {"amount": "1.00", "reference": "R", "reason": "Why"},
        ),
        "payment": payment,
        "application": application,
    }


def snapshot():
    return (
        Payment.objects.count(),
        PaymentApplication.objects.count(),
        Refund.objects.count(),
        list(Payment.objects.values_list("applied_amount", "refunded_amount")),
    )


@pytest.mark.parametrize("role", [OS, DD, AUD])
@pytest.mark.parametrize("action", ["record", "apply", "reverse", "refund"])
def test_roles_without_the_permission_get_403_on_every_cash_write(client, cash_calls, role, action):
    as_role(client, role)
    before = snapshot()
    url, data = cash_calls[action]
    assert post(client, url, data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("role", [FIN, ADM])
@pytest.mark.parametrize(
    ("action", "expected"), [("record", 201), ("apply", 200), ("reverse", 201), ("refund", 200)]
)
def test_finance_and_admin_may_make_every_cash_write(client, cash_calls, role, action, expected):
    as_role(client, role)
    url, data = cash_calls[action]
    assert post(client, url, data).status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"), [(FIN, 200), (AUD, 200), (OS, 200), (ADM, 200), (DD, 403)]
)
def test_who_may_read_payments_and_applications(client, cash_calls, role, expected):
    as_role(client, role)
    for url in [
        "/api/v1/payments/",
        payment_url(cash_calls["payment"]),
        "/api/v1/payment-applications/",
        f"/api/v1/payment-applications/{cash_calls['application'].pk}/",
    ]:
        assert client.get(url).status_code == expected, url


def test_an_anonymous_caller_is_refused(client, cash_calls):
    assert client.get("/api/v1/payments/").status_code in (401, 403)
    assert post(client, *cash_calls["refund"]).status_code in (401, 403)


# --- Schema --------------------------------------------------------------------------------------


def test_the_cash_endpoints_are_in_the_schema_without_warnings(client):
    router = DefaultRouter()
    for prefix, viewset, basename in urls.router.registry:
        if viewset.__module__ == "billing.api.payments":
            router.register(prefix, viewset, basename=basename)
    GENERATOR_STATS.reset()
    SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    assert dict(GENERATOR_STATS._error_cache) == {}
    assert dict(GENERATOR_STATS._warn_cache) == {}

    as_role(client, AUD)
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    for endpoint, method in [
        ("/api/v1/payments/", "get"),
        ("/api/v1/payments/", "post"),
        ("/api/v1/payments/{id}/", "get"),
        ("/api/v1/payments/{id}/apply/", "post"),
        ("/api/v1/payments/{id}/refund/", "post"),
        ("/api/v1/payment-applications/", "get"),
        ("/api/v1/payment-applications/{id}/", "get"),
        ("/api/v1/payment-applications/{id}/reverse/", "post"),
    ]:
        assert method in schema["paths"][endpoint], (endpoint, method)
    components = schema["components"]["schemas"]
    assert "allocations" in components["PaymentApplyInputRequest"]["properties"]
    assert "oldest_first" in components["PaymentApplyInputRequest"]["properties"]
