"""Credit on account over the REST API: apply, reverse, refund, errors and roles."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import CreditApplication, CreditNote
from ordermgmt import roles
from tests.billing.test_credit_on_account import credit, paid_invoice
from tests.collections.test_aging_book import issued_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def as_role(client, role):
    client.force_login(UserFactory(role=role))
    return client


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def book():
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    other = issued_invoice(account, "500.00", date(2026, 2, 1))
    return note, other


def test_a_credit_note_shows_its_credit_on_account(client, book):
    note, _ = book
    body = as_role(client, roles.AUDITOR).get(f"/api/v1/credit-notes/{note.pk}/").json()
    assert (body["on_account_amount"], body["unapplied_amount"]) == ("200.00", "200.00")
    listed = client.get("/api/v1/credit-notes/?has_credit_on_account=true").json()
    assert [row["id"] for row in listed["results"]] == [note.pk]


def test_finance_applies_reverses_and_refunds_credit(client, book):
    note, other = book
    as_role(client, roles.FINANCE)
    response = post(
        client,
        f"/api/v1/credit-notes/{note.pk}/apply/",
        {"allocations": [{"invoice": other.pk, "amount": "150.00"}], "applied_date": "2026-02-10"},
    )
    assert response.status_code == 201, response.content
    (row,) = response.json()
    assert (row["invoice"], row["amount"], row["applied_date"]) == (
        other.pk,
        "150.00",
        "2026-02-10",
    )
    other.refresh_from_db()
    assert other.open_amount == D("350.00")

    reversed_ = post(
        client, f"/api/v1/credit-applications/{row['id']}/reverse/", {"reason": "Oops"}
    )
    assert reversed_.status_code == 201 and reversed_.json()["amount"] == "-150.00"
    other.refresh_from_db()
    assert other.open_amount == D("500.00")

    refunded = post(
        client,
        f"/api/v1/credit-notes/{note.pk}/refund/",
        {"amount": "50.00", "reference": "RF-7", "reason": "Customer asked"},
    )
    assert refunded.status_code == 200 and refunded.json()["unapplied_amount"] == "150.00"

    oldest = post(client, f"/api/v1/credit-notes/{note.pk}/apply/", {"oldest_first": True})
    assert oldest.status_code == 201 and [r["amount"] for r in oldest.json()] == ["150.00"]


def test_an_over_application_is_a_400_naming_the_field_and_changes_nothing(client, book):
    note, other = book
    as_role(client, roles.FINANCE)
    response = post(
        client,
        f"/api/v1/credit-notes/{note.pk}/apply/",
        {"allocations": [{"invoice": other.pk, "amount": "200.01"}]},
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "allocations[0].amount",
        "exceeds_unapplied",
    )
    note.refresh_from_db()
    assert CreditApplication.objects.count() == 0 and note.applied_amount == 0


@pytest.mark.parametrize("role", [roles.ORDER_SPECIALIST, roles.DEAL_DESK, roles.AUDITOR])
def test_only_cash_roles_move_credit(client, book, role):
    note, other = book
    as_role(client, role)
    applied = post(
        client,
        f"/api/v1/credit-notes/{note.pk}/apply/",
        {"allocations": [{"invoice": other.pk, "amount": "10.00"}]},
    )
    refunded = post(
        client,
        f"/api/v1/credit-notes/{note.pk}/refund/",
        {"amount": "10.00", "reference": "R", "reason": "R"},
    )
    assert (applied.status_code, refunded.status_code) == (403, 403)
    assert CreditNote.objects.get(pk=note.pk).unapplied_amount == D("200.00")
