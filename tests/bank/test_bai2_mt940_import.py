"""BAI2 and MT940 statements import beside CAMT.053 and go through the same matching.

The worked example, told by a US bank in BAI2 (USD) and by a German bank in MT940 (EUR):
- Northwind pays invoice A (1,200.00) naming it: an exact match, applied automatically;
- Contoso pays B (500.00) and C (750.00) in one transfer naming both: a two-invoice
  match, applied automatically;
- Fabrikam pays 1,950.00 against D (2,000.00): a short payment, proposed and queued;
- J. Smith sends 300.00 with no reference: unknown payer, no proposal;
- the bank takes a 15.00 fee: money out, ignored.
Both files' control totals are computed from these entries; a file whose totals disagree
is refused whole and nothing is written."""

from datetime import date
from decimal import Decimal

import pytest

from billing.bank.models import BankStatement, BankTransaction, MatchSuggestion
from billing.bank.services import import_bank_statement
from billing.models import Payment, PaymentApplication
from core.errors import DomainValidationError
from tests.bank.files import bai2_file, mt940_file
from tests.bank_factories import Entry, open_invoice
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

D = Decimal
FEB = date(2026, 2, 1)


def make_book(currency: str):
    northwind = AccountFactory(legal_name="Northwind GmbH")
    contoso = AccountFactory(legal_name="Contoso Ltd")
    fabrikam = AccountFactory(legal_name="Fabrikam, Inc.")
    return {
        "fabrikam": fabrikam,
        "A": open_invoice(northwind, "1200.00", FEB, currency=currency),
        "B": open_invoice(contoso, "500.00", FEB, currency=currency),
        "D": open_invoice(fabrikam, "2000.00", FEB, currency=currency),
        "C": open_invoice(contoso, "750.00", date(2026, 2, 5), currency=currency),
    }


def entries(book) -> list[Entry]:
    a, b, c, d = book["A"], book["B"], book["C"], book["D"]
    return [
        Entry("BK-001", "1200.00", "NORTHWIND GMBH", "DE02100100100006820101", a.number),
        Entry("BK-002", "1250.00", "Contoso Ltd", "GB33BUKB20201555555555",
              f"Invoices {b.number} {c.number}"),
        Entry("BK-003", "1950.00", "Fabrikam Inc", "", f"Payment {d.number}"),
        Entry("BK-004", "300.00", "J. Smith", "", "thanks"),
        Entry("BK-005", "15.00", "", "", "Account fee", credit=False),
    ]  # fmt: skip


@pytest.fixture(params=["bai2", "mt940"])
def case(request):
    if request.param == "bai2":
        book = make_book("USD")
        return request.param, book, lambda **kw: bai2_file(entries(book), **kw)
    book = make_book("EUR")
    return request.param, book, lambda **kw: mt940_file(entries(book), **kw)


def snapshot():
    return (
        BankStatement.objects.count(),
        list(BankTransaction.objects.order_by("id").values_list("status", "payment")),
        MatchSuggestion.objects.count(),
        list(Payment.objects.order_by("id").values_list("amount", "applied_amount")),
        PaymentApplication.objects.count(),
    )


def txn(ref: str) -> BankTransaction:
    return BankTransaction.objects.get(bank_reference=ref)


def test_the_worked_example_is_matched_as_a_camt_file_would_be(case):
    file_format, book, build = case
    result = import_bank_statement(content=build(), actor=None, auto_apply=True)
    assert (result.created, result.already_imported, result.auto_applied) == (5, 0, 2)
    assert BankStatement.objects.get().file_format == file_format
    for key in "ABC":
        book[key].refresh_from_db()
        assert book[key].open_amount == 0
    assert txn("BK-002").payment.applications.count() == 2
    short = txn("BK-003").suggestions.get()
    assert (short.rule, short.confidence, short.account) == (
        "reference",
        D("0.80"),
        book["fabrikam"],
    )
    assert (txn("BK-003").status, txn("BK-004").status) == ("open", "open")
    assert txn("BK-004").suggestions.count() == 0
    assert (txn("BK-005").status, txn("BK-005").amount) == ("ignored", D("15.00"))


def test_the_format_is_recognised_from_the_file_itself(case):
    file_format, _book, build = case
    import_bank_statement(content=build(), actor=None, auto_apply=False)
    assert BankStatement.objects.get().file_format == file_format


def test_reimporting_the_same_file_changes_nothing(case):
    _format, _book, build = case
    content = build()
    import_bank_statement(content=content, actor=None, auto_apply=True)
    before = snapshot()
    again = import_bank_statement(content=content, actor=None, auto_apply=True)
    assert (again.created, again.already_imported, again.auto_applied) == (0, 5, 0)
    assert snapshot() == before


def test_a_file_whose_closing_balance_disagrees_is_refused_and_nothing_is_written(case):
    _format, book, build = case
    before = snapshot()
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=build(closing="99999.99"), actor=None)
    assert (err.value.field, err.value.code) in {
        ("file", "balances_mismatch"),
        ("file", "control_totals_mismatch"),  # BAI2: the trailers count the 015 too
    }
    assert snapshot() == before
    book["A"].refresh_from_db()
    assert book["A"].open_amount == D("1200.00")


def test_a_bai2_file_whose_account_trailer_disagrees_is_refused(db):
    book = make_book("USD")
    content = bai2_file(entries(book), account_total=1)
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=content, actor=None)
    assert (err.value.field, err.value.code) == ("file", "control_totals_mismatch")
    assert "account control total" in err.value.message
    assert BankTransaction.objects.count() == 0


def test_a_bai2_file_whose_file_trailer_disagrees_is_refused(db):
    book = make_book("USD")
    content = bai2_file(entries(book), file_total=12345)
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=content, actor=None)
    assert (err.value.field, err.value.code) == ("file", "control_totals_mismatch")
    assert "file control total" in err.value.message
    assert BankStatement.objects.count() == 0


def test_a_bai2_file_whose_ledger_balances_disagree_with_its_details_is_refused(db):
    # Trailers recomputed over the wrong closing ledger: only the balance check sees it.
    book = make_book("USD")
    content = bai2_file(entries(book), closing="11000.00")
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=content, actor=None)
    assert (err.value.field, err.value.code) == ("file", "balances_mismatch")
    assert BankTransaction.objects.count() == 0


def test_an_mt940_statement_whose_balances_disagree_names_both_figures(db):
    book = make_book("EUR")
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=mt940_file(entries(book), closing="1.00"), actor=None)
    assert (err.value.field, err.value.code) == ("file", "balances_mismatch")
    # 10,000.00 + 1,200.00 + 1,250.00 + 1,950.00 + 300.00 - 15.00 = 14,685.00
    assert "is 14685.00, not the closing balance 1.00" in err.value.message


def test_an_mt940_payer_and_account_are_read_from_the_structured_details(db):
    book = make_book("EUR")
    import_bank_statement(content=mt940_file(entries(book)), actor=None, auto_apply=False)
    first = txn("BK-001")
    assert (first.payer_name, first.payer_account, first.remittance_text) == (
        "NORTHWIND GMBH",
        "DE02100100100006820101",
        book["A"].number,
    )


def test_a_text_file_that_is_neither_format_is_refused(db):
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=b"01,garbage/\n", actor=None, file_format="bai2")
    assert (err.value.field, err.value.code) == ("file", "not_bai2")
    with pytest.raises(DomainValidationError) as err:
        import_bank_statement(content=b"hello", actor=None, file_format="mt940")
    assert (err.value.field, err.value.code) == ("file", "not_mt940")
