"""Importing a CAMT.053 statement and matching its credits to open invoices.

The worked example: on 2 March 2026 the bank reports four customer credits and a fee:
- Northwind pays invoice A (1,200.00) naming it: an exact match, applied automatically;
- Contoso pays invoices B (500.00) and C (750.00) in one wire naming both: a two-invoice
  match, applied automatically;
- Fabrikam pays 1,950.00 against invoice D (2,000.00): a short payment, proposed
  (0.80) and left for finance, who confirm it; 50.00 stays open on D;
- "J. Smith" sends 300.00 with no reference: unknown payer, no proposal; finance records
  it as unapplied cash of the customer they know it belongs to;
- a 15.00 bank fee goes out: not matched.
Re-importing the same file changes nothing."""

from datetime import date
from decimal import Decimal

import pytest

from billing.bank.models import BankStatement, BankTransaction, MatchSuggestion
from billing.bank.services import (
    apply_bank_credit,
    import_bank_statement,
    record_unapplied_bank_credit,
)
from billing.models import Payment, PaymentApplication
from core.errors import DomainValidationError
from tests.bank_factories import Entry, camt053, open_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
FEB = date(2026, 2, 1)


@pytest.fixture
def book():
    northwind = AccountFactory(legal_name="Northwind GmbH")
    contoso = AccountFactory(legal_name="Contoso Ltd")
    fabrikam = AccountFactory(legal_name="Fabrikam, Inc.")
    return {
        "northwind": northwind,
        "contoso": contoso,
        "fabrikam": fabrikam,
        "A": open_invoice(northwind, "1200.00", FEB),
        "B": open_invoice(contoso, "500.00", FEB),
        "D": open_invoice(fabrikam, "2000.00", FEB),
        # Issued last: invoice numbers follow invoice dates.
        "C": open_invoice(contoso, "750.00", date(2026, 2, 5)),
    }


def statement_file(book) -> bytes:
    a, b, c, d = book["A"], book["B"], book["C"], book["D"]
    return camt053(
        [
            Entry("BANK-001", "1200.00", "NORTHWIND GMBH", "DE02100100100006820101", a.number),
            Entry("BANK-002", "1250.00", "Contoso Ltd", "GB33BUKB20201555555555",
                  f"Invoices {b.number}, {c.number}"),
            Entry("BANK-003", "1950.00", "Fabrikam Inc", "US00FABRIKAM0001",
                  f"Payment {d.number.replace('-', ' ')}"),
            Entry("BANK-004", "300.00", "J. Smith", "FR7630006000011234567890189", "thanks"),
            Entry("BANK-005", "15.00", "Our Bank", "", "Account fee", credit=False),
        ]
    )  # fmt: skip


def txn(ref: str) -> BankTransaction:
    return BankTransaction.objects.get(bank_reference=ref)


def snapshot():
    return (
        BankStatement.objects.count(),
        list(BankTransaction.objects.order_by("id").values_list("status", "payment")),
        MatchSuggestion.objects.count(),
        list(Payment.objects.order_by("id").values_list("amount", "applied_amount")),
        PaymentApplication.objects.count(),
    )


def test_the_worked_example_applies_exact_matches_and_queues_the_rest(book):
    result = import_bank_statement(content=statement_file(book), actor=None, auto_apply=True)
    assert (result.created, result.already_imported, result.auto_applied) == (5, 0, 2)
    for key in "ABC":
        book[key].refresh_from_db()
        assert book[key].open_amount == 0
    assert txn("BANK-001").status == "matched" and txn("BANK-001").auto_applied
    assert txn("BANK-002").payment.applications.count() == 2
    short = txn("BANK-003").suggestions.get()
    assert (short.rule, short.confidence, short.account) == (
        "reference",
        D("0.80"),
        book["fabrikam"],
    )
    assert "short by" in short.reason
    assert txn("BANK-003").status == "open"
    assert (txn("BANK-004").status, txn("BANK-004").suggestions.count()) == ("open", 0)
    assert txn("BANK-005").status == "ignored"


def test_confirming_a_short_payment_leaves_the_rest_open_on_the_invoice(book):
    import_bank_statement(content=statement_file(book), actor=None, auto_apply=True)
    user = UserFactory()
    short = txn("BANK-003")
    apply_bank_credit(transaction=short, suggestion=short.suggestions.get(), actor=user)
    book["D"].refresh_from_db()
    assert book["D"].open_amount == D("50.00")
    short.refresh_from_db()
    assert (short.status, short.matched_by, short.payment.unapplied_amount) == (
        "matched",
        user,
        D("0"),
    )


def test_an_unknown_payer_is_recorded_as_unapplied_cash_of_the_chosen_customer(book):
    import_bank_statement(content=statement_file(book), actor=None, auto_apply=True)
    unknown = record_unapplied_bank_credit(
        transaction=txn("BANK-004"), account=book["contoso"], actor=None
    )
    assert unknown.status == "unapplied"
    assert (unknown.payment.account, unknown.payment.unapplied_amount) == (
        book["contoso"],
        D("300.00"),
    )


def test_reimporting_the_same_file_changes_nothing(book):
    content = statement_file(book)
    import_bank_statement(content=content, actor=None, auto_apply=True)
    before = snapshot()
    again = import_bank_statement(content=content, actor=None, auto_apply=True)
    assert (again.created, again.already_imported, again.auto_applied) == (0, 5, 0)
    assert snapshot() == before


def test_a_credit_cannot_be_matched_twice(book):
    import_bank_statement(content=statement_file(book), actor=None, auto_apply=False)
    exact = txn("BANK-001")
    suggestion = exact.suggestions.first()
    apply_bank_credit(transaction=exact, suggestion=suggestion, actor=None)
    before = snapshot()
    with pytest.raises(DomainValidationError) as err:
        apply_bank_credit(transaction=exact, suggestion=suggestion, actor=None)
    assert (err.value.field, err.value.code) == ("transaction", "already_matched")
    assert snapshot() == before


def test_without_the_setting_exact_matches_wait_in_the_queue(book, settings):
    settings.BANK_AUTO_APPLY_EXACT_MATCHES = False
    result = import_bank_statement(content=statement_file(book), actor=None)
    assert result.auto_applied == 0
    assert txn("BANK-001").suggestions.first().confidence == D("0.99")
    assert Payment.objects.count() == 0


def test_a_file_whose_credit_total_disagrees_is_refused_whole(book):
    content = camt053([Entry("BANK-9", "10.00", "X", "", "y")], credit_sum="11.00")
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=content, actor=None)
    assert (err.value.field, err.value.code) == ("file", "control_totals_mismatch")
    assert (BankStatement.objects.count(), BankTransaction.objects.count()) == (0, 0)


def test_a_file_whose_closing_balance_disagrees_is_refused_whole(book):
    content = camt053([Entry("BANK-9", "10.00", "X", "", "y")], closing="1.00")
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=content, actor=None)
    assert (err.value.field, err.value.code) == ("file", "balances_mismatch")
    assert BankTransaction.objects.count() == 0


def test_a_file_that_is_not_camt053_is_refused(db):
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=b"<Document><Other/></Document>", actor=None)
    assert (err.value.field, err.value.code) == ("file", "not_camt053")
