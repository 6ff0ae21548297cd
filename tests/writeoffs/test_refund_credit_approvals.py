"""The two-person rule for refunds and credit notes, the write-offs' rule reused.

Worked example (REFUND_APPROVAL_THRESHOLDS: 5,000.00 USD): Acme overpaid by wiring
8,000.00 against nothing. Fran refunds 6,000.00: above the threshold, so the refund
service refuses her directly (needs_second_person) and she asks for approval instead;
the payment still shows 8,000.00 unapplied. Fran cannot approve her own request. Pat
approves: the refund is made, by the same payment service, and 2,000.00 stays unapplied.
A refund of 4,000.00 needs nobody. Credit notes have no threshold unless one is set;
set at 1,000.00, a 1,500.00 credit note waits the same way."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import CreditNote, Invoice, Payment, Refund
from billing.services import issue_credit_note, record_payment, refund_payment, void_invoice
from billing.writeoffs.approvals import (
    approve_request,
    reject_request,
    request_credit_note,
    request_refund,
)
from billing.writeoffs.models import ApprovalRequest
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.bank_factories import open_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def acme():
    return AccountFactory(legal_name="Acme")


@pytest.fixture
def wire(acme):
    return record_payment(
        account=acme, amount=D("8000.00"), currency="USD", received_date=date(2026, 3, 2),
        method="wire", reference="W-1", actor=None,
    )  # fmt: skip


@pytest.fixture
def fran():
    return UserFactory(role=roles.FINANCE)


@pytest.fixture
def pat():
    return UserFactory(role=roles.FINANCE)


def unapplied(payment) -> Decimal:
    return Payment.objects.get(pk=payment.pk).unapplied_amount


def test_a_refund_above_the_threshold_is_refused_directly_and_changes_nothing(wire, fran):
    with pytest.raises(DomainValidationError) as err:
        refund_payment(payment=wire, amount=D("6000.00"), actor=fran, reference="R", reason="x")
    assert (err.value.field, err.value.code) == ("amount", "needs_second_person")
    assert unapplied(wire) == D("8000.00") and Refund.objects.count() == 0


def test_a_refund_within_the_threshold_needs_nobody(wire, fran):
    refund_payment(payment=wire, amount=D("4000.00"), actor=fran, reference="R", reason="x")
    assert unapplied(wire) == D("4000.00")


def test_a_requested_refund_waits_and_changes_ar_only_once_a_second_person_approves(
    wire, fran, pat
):
    request = request_refund(
        payment=wire, amount=D("6000.00"), reference="R-77", reason="Overpaid", actor=fran
    )
    assert (request.status, unapplied(wire), Refund.objects.count()) == ("pending", D("8000.00"), 0)
    with pytest.raises(DomainValidationError) as err:
        approve_request(request=request, actor=fran)
    assert (err.value.field, err.value.code) == ("approver", "same_person")
    assert (unapplied(wire), ApprovalRequest.objects.get().status) == (D("8000.00"), "pending")

    done = approve_request(request=request, actor=pat, note="Checked the bank details")
    assert (done.status, done.decided_by, done.decision_note) == (
        "approved", pat, "Checked the bank details"
    )  # fmt: skip
    assert done.refund.amount == D("6000.00") and done.refund.reference == "R-77"
    assert unapplied(wire) == D("2000.00")


def test_an_approved_request_cannot_be_carried_out_twice(wire, fran, pat):
    request = request_refund(
        payment=wire, amount=D("6000.00"), reference="R", reason="x", actor=fran
    )
    approve_request(request=request, actor=pat)
    with pytest.raises(DomainValidationError) as err:
        approve_request(request=request, actor=UserFactory(role=roles.FINANCE))
    assert (err.value.field, err.value.code) == ("approval", "already_resolved")
    assert unapplied(wire) == D("2000.00") and Refund.objects.count() == 1


def test_a_rejected_request_changes_nothing_and_cannot_be_approved_later(wire, fran, pat):
    request = request_refund(
        payment=wire, amount=D("6000.00"), reference="R", reason="x", actor=fran
    )
    rejected = reject_request(request=request, actor=pat, reason="Customer asked to keep credit")
    assert (rejected.status, unapplied(wire)) == ("rejected", D("8000.00"))
    with pytest.raises(DomainValidationError) as err:
        approve_request(request=request, actor=pat)
    assert err.value.code == "already_resolved"
    assert Refund.objects.count() == 0


def test_asking_for_more_than_is_unapplied_is_refused_when_asked(wire, fran):
    with pytest.raises(DomainValidationError) as err:
        request_refund(payment=wire, amount=D("9000.00"), reference="R", reason="x", actor=fran)
    assert (err.value.field, err.value.code) == ("amount", "exceeds_unapplied")
    assert ApprovalRequest.objects.count() == 0


def test_asking_for_approval_within_the_threshold_is_refused(wire, fran):
    with pytest.raises(DomainValidationError) as err:
        request_refund(payment=wire, amount=D("100.00"), reference="R", reason="x", actor=fran)
    assert (err.value.field, err.value.code) == ("amount", "approval_not_needed")
    assert ApprovalRequest.objects.count() == 0


def test_a_refund_the_system_records_is_a_fact_not_a_request(wire):
    # e.g. a refund already made at Stripe, reported by its webhook
    refund_payment(payment=wire, amount=D("6000.00"), actor=None, reference="re_1", reason="x")
    assert unapplied(wire) == D("2000.00")


def test_credit_notes_need_no_approval_by_default(acme, fran):
    invoice = open_invoice(acme, "3000.00", date(2026, 2, 1), currency="USD")
    issue_credit_note(invoice=invoice, amount=D("2500.00"), actor=fran, reason="Service outage")
    assert Invoice.objects.get(pk=invoice.pk).open_amount == D("500.00")


def test_a_credit_note_above_its_configured_threshold_waits_for_a_second_person(
    acme, fran, pat, settings
):
    settings.CREDIT_NOTE_APPROVAL_THRESHOLDS = {"*": "1000.00"}
    invoice = open_invoice(acme, "3000.00", date(2026, 2, 1), currency="USD")
    with pytest.raises(DomainValidationError) as err:
        issue_credit_note(invoice=invoice, amount=D("1500.00"), actor=fran, reason="Outage")
    assert (err.value.field, err.value.code) == ("amount", "needs_second_person")
    request = request_credit_note(invoice=invoice, amount=D("1500.00"), reason="Outage", actor=fran)
    assert (Invoice.objects.get(pk=invoice.pk).open_amount, CreditNote.objects.count()) == (
        D("3000.00"), 0
    )  # fmt: skip
    with pytest.raises(DomainValidationError) as err:
        approve_request(request=request, actor=fran)
    assert err.value.code == "same_person"
    assert CreditNote.objects.count() == 0
    done = approve_request(request=request, actor=pat)
    assert done.credit_note.total_amount == D("1500.00")
    assert Invoice.objects.get(pk=invoice.pk).open_amount == D("1500.00")


def test_voiding_above_the_credit_note_threshold_is_refused_like_the_credit_note_it_issues(
    acme, fran, settings
):
    # A void credits what is left in one note: 3,000.00 here, above the 1,000.00 that a
    # credit note may reach without a second person. Nothing is voided or credited.
    settings.CREDIT_NOTE_APPROVAL_THRESHOLDS = {"*": "1000.00"}
    invoice = open_invoice(acme, "3000.00", date(2026, 2, 1), currency="USD")
    with pytest.raises(DomainValidationError) as err:
        void_invoice(invoice=invoice, actor=fran, reason="Billed the wrong customer")
    assert (err.value.field, err.value.code) == ("amount", "needs_second_person")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_amount, CreditNote.objects.count()) == (
        "issued", D("3000.00"), 0
    )  # fmt: skip


def test_an_approval_for_one_document_cannot_carry_out_another(wire, acme, fran, pat):
    request = request_refund(
        payment=wire, amount=D("6000.00"), reference="R", reason="x", actor=fran
    )
    other = record_payment(
        account=acme, amount=D("9000.00"), currency="USD", received_date=date(2026, 3, 2),
        method="wire", reference="W-2", actor=None,
    )  # fmt: skip
    with pytest.raises(DomainValidationError) as err:
        refund_payment(
            payment=other, amount=D("6000.00"), actor=pat, reference="R", reason="x",
            approval=request,
        )  # fmt: skip
    assert (err.value.field, err.value.code) == ("approval", "approval_mismatch")
    assert unapplied(other) == D("9000.00")


def test_over_the_api_a_refund_is_asked_for_and_approved_by_a_colleague(wire, client, fran, pat):
    client.force_login(fran)
    direct = client.post(
        f"/api/v1/payments/{wire.pk}/refund/",
        {"amount": "6000.00", "reference": "R", "reason": "Overpaid"},
        content_type="application/json",
    )
    assert (direct.status_code, direct.json()["code"]) == (400, "needs_second_person")
    created = client.post(
        "/api/v1/approvals/",
        {"kind": "refund", "payment": wire.pk, "amount": "6000.00", "reference": "R-1",
         "reason": "Overpaid"},
        content_type="application/json",
    )  # fmt: skip
    assert (created.status_code, created.json()["status"]) == (201, "pending")
    url = f"/api/v1/approvals/{created.json()['id']}/approve/"
    refused = client.post(url, {}, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (400, "same_person")
    assert unapplied(wire) == D("8000.00")
    client.force_login(pat)
    approved = client.post(url, {}, content_type="application/json")
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert approved.json()["refund"] == Refund.objects.get().pk
    assert unapplied(wire) == D("2000.00")


def test_over_the_api_a_request_names_the_document_its_kind_needs(client, fran):
    client.force_login(fran)
    response = client.post(
        "/api/v1/approvals/",
        {"kind": "credit_note", "amount": "10.00", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "invoice"
    assert ApprovalRequest.objects.count() == 0


def test_the_auditor_reads_approvals_but_cannot_ask(client, wire):
    client.force_login(UserFactory(role=roles.AUDITOR))
    assert client.get("/api/v1/approvals/").status_code == 200
    response = client.post(
        "/api/v1/approvals/",
        {"kind": "refund", "payment": wire.pk, "amount": "6000.00", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
