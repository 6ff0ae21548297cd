from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from billing.models import BillingRun, CreditNote, Invoice, InvoiceStatus
from billing.services import (
    CreditLineInput,
    create_corrected_invoice,
    execute_billing_run,
    invoicing,
    issue_credit_note,
    issue_invoice,
    queue_billing_run,
    void_invoice,
)
from core.errors import DomainValidationError
from tests.factories import (
    ProductFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
    line_input,
)
from tests.processes import run_in_processes

pytestmark = pytest.mark.django_db


def drafts(run_date=date(2026, 1, 1)):
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return list(Invoice.objects.filter(status="draft").order_by("id"))


def issued_invoice(**contract_terms):
    active_contract(**contract_terms)
    (invoice,) = drafts()
    return issue_invoice(invoice=invoice, actor=None)


def test_issuing_assigns_the_next_number_of_the_entity_and_year(specialist):
    for _ in range(3):
        active_contract()
    first, second, third = drafts()
    assert issue_invoice(invoice=second, actor=specialist).number == "INV-2026-000001"
    assert issue_invoice(invoice=first, actor=specialist).number == "INV-2026-000002"
    third = issue_invoice(invoice=third, actor=specialist, invoice_date=date(2027, 1, 2))
    assert third.number == "INV-2027-000001"  # a new series each year
    assert third.due_date == date(2027, 2, 1)
    assert third.history.latest().history_user == specialist


def test_an_issued_invoice_cannot_be_issued_again():
    invoice = issued_invoice()
    with pytest.raises(DomainValidationError) as err:
        issue_invoice(invoice=invoice, actor=None)
    assert err.value.code == "illegal_transition"
    assert Invoice.objects.get(pk=invoice.pk).number == "INV-2026-000001"


def test_an_issued_invoice_refuses_a_plain_orm_save():
    invoice = issued_invoice()
    invoice.total_amount = Decimal("1.00")
    with pytest.raises(DomainValidationError) as err:
        invoice.save()
    assert (err.value.field, err.value.code) == ("total_amount", "invoice_immutable")


def test_an_issued_invoice_refuses_its_lines_changing():
    invoice = issued_invoice()
    line = invoice.lines.get()
    line.amount = Decimal("1.00")
    with pytest.raises(DomainValidationError):
        line.save()
    with pytest.raises(DomainValidationError):
        line.delete()
    with pytest.raises(DomainValidationError):
        Invoice.objects.get(pk=invoice.pk).delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE billing_invoice SET total_amount = 1 WHERE id = %s",
        "UPDATE billing_invoice SET status = 'draft' WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET amount = 1 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
    ],
)
def test_the_database_itself_refuses_to_change_an_issued_invoice(sql):
    invoice = issued_invoice()
    with (
        pytest.raises((IntegrityError, InternalError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [invoice.pk])
    refreshed = Invoice.objects.get(pk=invoice.pk)
    assert refreshed.total_amount == Decimal("12000.00") and refreshed.status == "issued"


def test_bulk_update_of_issued_invoices_is_refused():
    invoice = issued_invoice()
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(due_date=date(2030, 1, 1))
    assert Invoice.objects.get(pk=invoice.pk).due_date == invoice.due_date


def test_partial_credit_by_amount_reduces_the_open_balance():
    TaxRateFactory(country="NL", percent=Decimal("21"))
    account = billable_account(billing_country="NL")
    invoice = issued_invoice(account=account)  # 12,000 + 21% = 14,520.00
    assert invoice.total_amount == Decimal("14520.00")
    note = issue_credit_note(
        invoice=invoice, actor=None, reason="Goodwill", amount=Decimal("121.00")
    )
    assert note.number == f"CN-{note.credit_date.year}-000001"
    assert (note.subtotal_amount, note.tax_amount, note.total_amount) == (
        Decimal("100.00"),
        Decimal("21.00"),
        Decimal("121.00"),
    )
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("14399.00")
    assert invoice.settlement_status == "partially_paid"


def test_credit_by_line_uses_the_line_tax_rate_and_cannot_exceed_the_line():
    product = ProductFactory()
    invoice = issued_invoice(
        lines=[
            line_input(product, quantity=Decimal(1), unit_price=Decimal(100)),
            line_input(product, quantity=Decimal(1), unit_price=Decimal(50)),
        ]
    )
    first, second = invoice.lines.order_by("position")
    note = issue_credit_note(
        invoice=invoice,
        actor=None,
        reason="Wrong seats",
        lines=[CreditLineInput(second, Decimal("50.00"))],
    )
    assert note.total_amount == Decimal("50.00")
    with pytest.raises(DomainValidationError) as err:
        issue_credit_note(
            invoice=invoice,
            actor=None,
            reason="again",
            lines=[CreditLineInput(second, Decimal("0.01"))],
        )
    assert (err.value.field, err.value.code) == ("lines[0].amount", "exceeds_line")
    assert CreditNote.objects.count() == 1


def test_a_credit_above_what_is_left_is_refused_and_changes_nothing():
    invoice = issued_invoice()
    with pytest.raises(DomainValidationError) as err:
        issue_credit_note(invoice=invoice, actor=None, reason="x", amount=Decimal("12000.01"))
    assert (err.value.field, err.value.code) == ("amount", "exceeds_invoice")
    with pytest.raises(DomainValidationError) as err:
        issue_credit_note(invoice=invoice, actor=None, reason=" ", amount=Decimal("1"))
    assert err.value.field == "reason"
    invoice.refresh_from_db()
    assert invoice.credited_amount == 0 and CreditNote.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("10.005", "10.005 has more decimals than USD allows (2)."),
        ("0", "The credit must be above zero."),
    ],
)
def test_a_credit_amount_refused_says_why_in_the_users_words(amount, message):
    invoice = issued_invoice()
    with pytest.raises(DomainValidationError) as err:
        issue_credit_note(invoice=invoice, actor=None, reason="x", amount=Decimal(amount))
    assert (err.value.field, err.value.code, err.value.message) == (
        "amount",
        "invalid_amount",
        message,
    )
    assert "minor unit" not in err.value.message and CreditNote.objects.count() == 0


def test_a_credit_line_amount_with_too_many_decimals_names_the_currency_decimals():
    invoice = issued_invoice()
    (first,) = invoice.lines.all()
    with pytest.raises(DomainValidationError) as err:
        issue_credit_note(
            invoice=invoice,
            actor=None,
            reason="x",
            lines=[CreditLineInput(first, Decimal("1.999"))],
        )
    assert (err.value.field, err.value.code) == ("lines[0].amount", "invalid_amount")
    assert err.value.message == "1.999 has more decimals than USD allows (2)."
    assert CreditNote.objects.count() == 0


def test_voiding_is_a_full_credit_note_and_a_correction_can_replace_it():
    invoice = issued_invoice()
    issue_credit_note(invoice=invoice, actor=None, reason="partial", amount=Decimal("1000.00"))
    note = void_invoice(invoice=invoice, actor=None, reason="Wrong price")
    assert note.total_amount == Decimal("11000.00") and note.is_void_of_invoice
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID and invoice.open_amount == 0
    correction = create_corrected_invoice(original=invoice, actor=None)
    assert correction.replaces == invoice and correction.status == "draft"
    schedule_line = correction.lines.get().schedule_line
    schedule_line.refresh_from_db()
    assert schedule_line.invoice_line.invoice == correction
    issued = issue_invoice(invoice=correction, actor=None)
    assert issued.number == "INV-2026-000002"
    with pytest.raises(DomainValidationError) as err:
        create_corrected_invoice(original=invoice, actor=None)
    assert err.value.code == "already_corrected"


def test_credit_notes_have_their_own_gapless_series():
    invoice = issued_invoice()
    numbers = [
        issue_credit_note(invoice=invoice, actor=None, reason="r", amount=Decimal("10")).number
        for _ in range(3)
    ]
    year = numbers[0][3:7]
    assert numbers == [f"CN-{year}-00000{i}" for i in (1, 2, 3)]


def issue_in_turn(invoice_ids: list[int]) -> None:
    """One issuer: issues each draft in turn."""
    invoicing.ON_ISSUE.clear()  # numbering is under test; no e-mail tasks from this worker
    for pk in invoice_ids:
        issue_invoice(invoice=Invoice.objects.get(pk=pk), actor=None)


@pytest.mark.django_db(transaction=True)
def test_parallel_issuers_in_separate_processes_never_make_a_gap_or_duplicate():
    for _ in range(40):
        active_contract(billing_frequency="annual")
    invoices = drafts()
    assert len(invoices) == 40
    batches = [([i.pk for i in invoices[n::4]],) for n in range(4)]
    assert run_in_processes(issue_in_turn, batches) == [None, None, None, None]
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 41)]
