"""The matching rules for a credit without an invoice reference, and what finance does
with them (split, learn the payer's bank account)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.bank.models import BankTransaction, PayerAccount
from billing.bank.services import (
    apply_bank_credit,
    import_bank_statement,
    split_bank_credit,
)
from billing.models import Payment
from core.errors import DomainValidationError
from tests.bank_factories import Entry, camt053, open_invoice
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

D = Decimal
FEB = date(2026, 2, 1)


def run(*entries, statement_id="S1", auto_apply=True):
    return import_bank_statement(
        content=camt053(list(entries), statement_id=statement_id),
        actor=None,
        auto_apply=auto_apply,
    )


def only(ref: str) -> BankTransaction:
    return BankTransaction.objects.get(bank_reference=ref)


def test_two_open_invoices_adding_up_to_the_amount_are_proposed_as_a_combination(db):
    acme = AccountFactory(legal_name="Acme Corp")
    a = open_invoice(acme, "100.00", FEB)
    open_invoice(acme, "250.00", FEB)
    c = open_invoice(acme, "400.00", FEB)
    run(Entry("R1", "500.00", "ACME CORP.", "", "March payment"))
    top = only("R1").suggestions.first()
    assert (top.rule, top.confidence, top.account) == ("combination", D("0.90"), acme)
    assert {x.invoice for x in top.allocations.all()} == {a, c}
    assert only("R1").status == "open"  # a combination is never applied on its own


def test_a_recognised_payer_with_one_invoice_of_the_amount_is_applied_automatically(db):
    acme = AccountFactory(legal_name="Acme Corp")
    invoice = open_invoice(acme, "321.00", FEB)
    open_invoice(acme, "99.00", FEB)
    result = run(Entry("R1", "321.00", "Acme Corp", "", "no reference"))
    assert result.auto_applied == 1
    invoice.refresh_from_db()
    assert invoice.open_amount == 0


def test_a_close_but_not_exact_payer_name_waits_for_confirmation(db):
    acme = AccountFactory(legal_name="Acme Industries")
    open_invoice(acme, "321.00", FEB)
    run(Entry("R1", "321.00", "Acme Industrie", "", ""))
    top = only("R1").suggestions.first()
    assert (top.rule, top.confidence, only("R1").status) == ("exact_amount", D("0.85"), "open")


def test_two_invoices_of_the_same_amount_are_both_proposed_and_none_applied(db):
    acme = AccountFactory(legal_name="Acme Corp")
    open_invoice(acme, "50.00", FEB)
    open_invoice(acme, "50.00", date(2026, 2, 10))
    result = run(Entry("R1", "50.00", "Acme Corp", "", ""))
    assert result.auto_applied == 0
    assert [s.confidence for s in only("R1").suggestions.all()] == [D("0.50"), D("0.50")]


def test_a_confirmed_payer_bank_account_recognises_its_next_payment(db):
    acme = AccountFactory(legal_name="Acme Corp")
    first = open_invoice(acme, "70.00", FEB)
    second = open_invoice(acme, "80.00", FEB)
    run(
        Entry("R1", "70.00", "A.C.M.E. Holdings", "NL91ABNA0417164300", first.number),
        auto_apply=False,
    )
    txn = only("R1")
    assert PayerAccount.objects.count() == 0  # learnt only when finance confirms
    apply_bank_credit(transaction=txn, suggestion=txn.suggestions.first(), actor=None)
    assert PayerAccount.objects.get().account == acme
    run(Entry("R2", "80.00", "A.C.M.E. Holdings", "NL91ABNA0417164300", ""), statement_id="S2")
    second.refresh_from_db()
    assert second.open_amount == 0
    assert "bank account" in only("R2").note


def test_two_credits_naming_the_same_invoice_apply_only_the_first(db):
    acme = AccountFactory(legal_name="Acme Corp")
    invoice = open_invoice(acme, "60.00", FEB)
    result = run(
        Entry("R1", "60.00", "Acme Corp", "", invoice.number),
        Entry("R2", "60.00", "Acme Corp", "", invoice.number),
    )
    assert result.auto_applied == 1
    assert (only("R1").status, only("R2").status) == ("matched", "open")


def test_splitting_a_credit_applies_what_is_given_and_leaves_the_rest_unapplied(db):
    acme = AccountFactory(legal_name="Acme Corp")
    a = open_invoice(acme, "100.00", FEB)
    b = open_invoice(acme, "200.00", FEB)
    run(Entry("R1", "260.00", "Someone", "", ""))
    txn = split_bank_credit(
        transaction=only("R1"),
        account=acme,
        allocations=[(a, D("100.00")), (b, D("150.00"))],
        actor=None,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.open_amount, b.open_amount, txn.payment.unapplied_amount) == (
        D("0"),
        D("50.00"),
        D("10.00"),
    )


def test_a_split_above_the_credit_is_refused_and_records_no_payment(db):
    acme = AccountFactory(legal_name="Acme Corp")
    a = open_invoice(acme, "100.00", FEB)
    b = open_invoice(acme, "200.00", FEB)
    run(Entry("R1", "150.00", "Someone", "", ""))
    with pytest.raises(DomainValidationError) as err:
        split_bank_credit(
            transaction=only("R1"),
            account=acme,
            allocations=[(a, D("100.00")), (b, D("60.00"))],
            actor=None,
        )
    assert (err.value.field, err.value.code) == ("allocations[1].amount", "exceeds_unapplied")
    assert (Payment.objects.count(), only("R1").status) == (0, "open")


def test_a_split_to_another_customers_invoice_is_refused(db):
    acme, other = AccountFactory(legal_name="Acme"), AccountFactory(legal_name="Other")
    invoice = open_invoice(other, "100.00", FEB)
    run(Entry("R1", "100.00", "Someone", "", ""))
    with pytest.raises(DomainValidationError) as err:
        split_bank_credit(
            transaction=only("R1"), account=acme, allocations=[(invoice, D("100"))], actor=None
        )
    assert (err.value.field, err.value.code) == ("allocations[0].invoice", "other_account")
    assert Payment.objects.count() == 0
