"""Write-offs with a reason code, in their own series, reflected in AR aging as of their
date; above the threshold (500.00) a second person approves; the small-balance batch.

Worked example: Acme owes 2,000.00 on an invoice of 1 February 2026. On 10 March finance
(Fran) asks to write off 800.00 as bad debt: above the threshold, so it waits and the
aging as of 10 March still shows 2,000.00. Fran cannot approve her own request; Pat
approves it, and from then the aging as of 10 March shows 1,200.00 (and as of 9 March
still 2,000.00), under the document WO-2026-000001."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import CreditNote, Invoice
from billing.writeoffs.models import WriteOff
from billing.writeoffs.services import (
    approve_write_off,
    batch_report,
    reject_write_off,
    request_write_off,
    write_off_small_balances,
)
from collections_app.reports.aging import AgingParams, ar_aging
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.bank_factories import open_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
MARCH_10 = date(2026, 3, 10)


@pytest.fixture
def invoice():
    return open_invoice(
        AccountFactory(legal_name="Acme"), "2000.00", date(2026, 2, 1), currency="USD"
    )


@pytest.fixture
def fran():
    return UserFactory(role=roles.FINANCE)


@pytest.fixture
def pat():
    return UserFactory(role=roles.FINANCE)


def aging_total(as_of: date) -> Decimal:
    (usd,) = ar_aging(AgingParams(as_of=as_of, reporting_currency="USD")).currencies
    return usd.open_total


def open_amount(invoice) -> Decimal:
    return Invoice.objects.get(pk=invoice.pk).open_amount


def test_a_write_off_within_the_threshold_is_posted_at_once_in_its_own_series(invoice, fran):
    write_off = request_write_off(
        invoice=invoice, amount=D("120.00"), reason_code="bank_charges", actor=fran,
        write_off_date=MARCH_10,
    )  # fmt: skip
    assert (write_off.status, write_off.document.number) == ("posted", "WO-2026-000001")
    assert write_off.document.credit_date == MARCH_10
    assert open_amount(invoice) == D("1880.00")
    assert not CreditNote.objects.filter(number__startswith="CN-").exists()


def test_above_the_threshold_a_second_person_approves_and_ar_changes_only_then(invoice, fran, pat):
    write_off = request_write_off(
        invoice=invoice, amount=D("800.00"), reason_code="bad_debt", actor=fran,
        write_off_date=MARCH_10, memo="Customer stopped answering",
    )  # fmt: skip
    assert (write_off.status, write_off.document) == ("pending", None)
    assert aging_total(MARCH_10) == D("2000.00")

    with pytest.raises(DomainValidationError) as err:
        approve_write_off(write_off=write_off, actor=fran)
    assert (err.value.field, err.value.code) == ("approver", "same_person")
    assert WriteOff.objects.get(pk=write_off.pk).status == "pending"
    assert open_amount(invoice) == D("2000.00")

    approved = approve_write_off(write_off=write_off, actor=pat)
    assert (approved.status, approved.decided_by, approved.document.number) == (
        "posted",
        pat,
        "WO-2026-000001",
    )
    assert aging_total(MARCH_10) == D("1200.00")
    assert aging_total(date(2026, 3, 9)) == D("2000.00")


def test_a_rejected_write_off_changes_nothing_and_cannot_be_approved(invoice, fran, pat):
    write_off = request_write_off(
        invoice=invoice, amount=D("900.00"), reason_code="bad_debt", actor=fran
    )
    reject_write_off(write_off=write_off, actor=pat, reason="Still collectable")
    with pytest.raises(DomainValidationError) as err:
        approve_write_off(write_off=write_off, actor=pat)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert open_amount(invoice) == D("2000.00")


def test_a_write_off_above_the_open_balance_is_refused(invoice, fran):
    with pytest.raises(DomainValidationError) as err:
        request_write_off(invoice=invoice, amount=D("2000.01"), reason_code="bad_debt", actor=fran)
    assert (err.value.field, err.value.code) == ("amount", "exceeds_open_balance")
    assert WriteOff.objects.count() == 0


def test_an_unknown_reason_code_is_refused(invoice, fran):
    with pytest.raises(DomainValidationError) as err:
        request_write_off(invoice=invoice, amount=D("1"), reason_code="because", actor=fran)
    assert (err.value.field, err.value.code) == ("reason_code", "unknown_reason")


def test_the_small_balance_batch_writes_off_only_leftovers_and_reports_them(fran):
    acme = AccountFactory(legal_name="Acme")
    leftover = open_invoice(acme, "100.00", date(2026, 1, 1), currency="USD")
    request_write_off(
        invoice=leftover, amount=D("99.60"), reason_code="settlement", actor=fran,
        write_off_date=date(2026, 2, 1),
    )  # fmt: skip
    big = open_invoice(acme, "5.00", date(2026, 1, 1), currency="USD")
    batch = write_off_small_balances(as_of=MARCH_10, actor=fran)
    report = batch_report(batch)
    assert report["totals"] == {"USD": {"count": 1, "amount": "0.4"}}
    assert report["write_offs"][0]["invoice"] == leftover.number
    assert (open_amount(leftover), open_amount(big)) == (D("0"), D("5.00"))
    again = write_off_small_balances(as_of=MARCH_10, actor=fran)
    assert batch_report(again)["write_offs"] == []


def test_over_the_api_the_requester_cannot_approve_and_a_colleague_can(invoice, client, fran, pat):
    client.force_login(fran)
    created = client.post(
        "/api/v1/write-offs/",
        {"invoice": invoice.pk, "amount": "700.00", "reason_code": "bad_debt"},
        content_type="application/json",
    )
    assert (created.status_code, created.json()["status"]) == (201, "pending")
    url = f"/api/v1/write-offs/{created.json()['id']}/approve/"
    refused = client.post(url, {}, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (400, "same_person")
    client.force_login(pat)
    approved = client.post(url, {}, content_type="application/json")
    assert approved.json()["document_number"] == "WO-2026-000001"
    assert open_amount(invoice) == D("1300.00")
