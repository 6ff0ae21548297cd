"""The aging of a past date from the customers' monthly movements (PostgreSQL,
billing.selectors.ar_window) gives the figures of every movement, for dates before the
first invoice, mid-month, on the first and last days of months and after the last
movement, on both bases, with custom buckets and the filters, in a book whose backdated
payments, credit notes, reversals and refunds were written after the later movements;
and the monthly table follows every movement (manage.py check_open_balances)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from billing.models import AccountMonthlyMovement, PaymentApplication
from billing.selectors.ar_window import totals_as_of, totals_readings
from billing.selectors.open_balance import open_balance_mismatches
from billing.services import refund_credit_note, void_invoice
from collections_app.reports.aging import (
    AgingBasis,
    AgingParams,
    _from_monthly_movements,
    aging_figures,
    ar_aging,
)
from tests.billing.test_open_balances_check import a_book_with_every_movement
from tests.collections.test_aging_book import (
    apply,
    credit,
    fx,
    issued_invoice,
    payment,
    refund,
    reverse,
)
from tests.factories import AccountFactory, LegalEntityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kept by PostgreSQL triggers"),
]
D = Decimal

DATES = [
    date(2025, 9, 1),  # before the first invoice
    date(2025, 10, 1),
    date(2025, 12, 31),
    date(2026, 1, 31),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 3, 1),
    date(2026, 3, 15),
    date(2026, 3, 31),
    date(2026, 4, 1),
    date(2026, 4, 17),
    date(2026, 4, 30),
    date(2026, 5, 31),
    date(2026, 6, 12),
    date(2026, 6, 30),
    date(2026, 7, 31),
]


def backdated_book():
    """a_book_with_every_movement, and a second customer whose movements were written
    out of date order: each later-dated one first, then the earlier ones, so that every
    backdated row lands in a month whose row already moved on."""
    book = a_book_with_every_movement()
    late = AccountFactory(legal_name="Backdated Ltd")
    # Its own seller: numbers follow dates per series, and the book above issued a
    # credit note today in the default seller's.
    seller = LegalEntityFactory(
        name="Backdated seller", is_default=False, invoice_prefix="BD-",
        credit_note_prefix="BDCN-",
    )  # fmt: skip
    x = issued_invoice(late, "5000.00", date(2026, 1, 20), net_days=90, entity=seller)
    euro = issued_invoice(late, "900.00", date(2026, 2, 2), currency="EUR", entity=seller)
    voided = issued_invoice(late, "350.00", date(2026, 2, 5), entity=seller)
    y = issued_invoice(late, "800.00", date(2026, 3, 3), net_days=0, entity=seller)
    z = issued_invoice(late, "1200.00", date(2026, 6, 20), net_days=15, entity=seller)
    fx("EUR", "1.10", date(2026, 1, 1))
    cash = payment(late, "9000.00", date(2026, 1, 25), reference="WIRE-L1")
    apply(cash, x, "1000.00", date(2026, 5, 10))  # written first
    early = apply(cash, x, "2000.00", date(2026, 2, 12))  # backdated
    credit(x, "500.00", date(2026, 2, 20))  # backdated credit note
    reverse(early, date(2026, 3, 31))  # the backdated application reversed, on a month end
    apply(cash, y, "800.00", date(2026, 3, 3))
    refund(cash, "250.00", date(2026, 2, 27))  # backdated refund
    euro_cash = payment(late, "900.00", date(2026, 4, 2), currency="EUR", reference="WIRE-E")
    apply(euro_cash, euro, "400.00", date(2026, 4, 2))
    # Credit on account (Y is paid), refunded in part.
    on_account = credit(y, "300.00", date(2026, 4, 5))
    assert on_account.on_account_amount == D("300.00")
    refund_credit_note(
        credit_note=on_account, amount=D("100.00"), actor=None, reference="RF-L",
        reason="Overpaid", refund_date=date(2026, 4, 6),
    )  # fmt: skip
    # A credit note dated before its invoice: counts from the invoice's date.
    note = credit(z, "1200.00", date(2026, 6, 10))
    assert note.on_account_amount == 0
    void_invoice(invoice=voided, actor=None, reason="Duplicate")  # dated today
    return book, late


def nonzero(found: dict) -> dict:
    return {key: value for key, value in found.items() if value and any(value)}


def figures(params, account_id=None, *, every_invoice=False) -> tuple[dict, dict]:
    buckets, unapplied = aging_figures(params, account_id, every_invoice=every_invoice)
    return nonzero(buckets), {key: value for key, value in unapplied.items() if value}


def test_a_past_dates_aging_from_the_monthly_movements_equals_every_movements():
    book, late = backdated_book()
    day, sweep = date(2025, 9, 10), []
    while day <= date(2026, 8, 1):
        sweep.append(day)
        day += timedelta(days=11)
    from_months = 0
    for as_of in DATES + sweep:
        for basis in (AgingBasis.DUE_DATE, AgingBasis.INVOICE_DATE):
            for edges, currency in (((30, 60, 90, 120), None), ((15, 45), "USD"), ((7,), None)):
                params = AgingParams(as_of=as_of, basis=basis, edges=edges, currency=currency)
                assert figures(params) == figures(params, every_invoice=True), params
                from_months += _from_monthly_movements(params, None) is not None
        one = AgingParams(as_of=as_of)
        for account in (book.account, late):
            expected = figures(one, account.pk, every_invoice=True)
            assert figures(one, account.pk) == expected, (as_of, account)
    # Every date before the void (written today) reads the monthly movements.
    assert from_months == 2 * 3 * len(DATES + sweep)


def test_the_reports_figures_for_a_past_date_do_not_move_when_earlier_movements_are_written():
    book, late = backdated_book()
    params = AgingParams(as_of=date(2026, 3, 15))
    before = {(r.account_id, r.currency): r.buckets for t in ar_aging(params).currencies
              for r in t.rows}  # fmt: skip
    # Booked after the date: changes nothing as of it.
    x = late.invoices.get(total_amount=D("5000.00"))
    spare = payment(late, "300.00", date(2026, 3, 1), reference="WIRE-L9")
    apply(spare, x, "200.00", date(2026, 3, 20))
    after = {(r.account_id, r.currency): r.buckets for t in ar_aging(params).currencies
             for r in t.rows}  # fmt: skip
    assert after == before
    # Backdated before it: only that customer's figure moves, by the amount applied.
    apply(spare, x, "100.00", date(2026, 3, 10))
    moved = {(r.account_id, r.currency): r.buckets for t in ar_aging(params).currencies
             for r in t.rows}  # fmt: skip
    assert sum(moved[(late.pk, "USD")]) == sum(before[(late.pk, "USD")]) - D("100.00")
    assert moved[(book.account.pk, "USD")] == before[(book.account.pk, "USD")]
    assert figures(params) == figures(params, every_invoice=True)


def test_every_reading_of_the_months_gives_the_same_customer_totals():
    backdated_book()
    customers = 0
    with connection.cursor() as cursor:
        for as_of in DATES:
            found = []
            for reading in totals_readings(as_of):
                cursor.execute(reading.sql, reading.params)
                rows = cursor.fetchall()
                found.append({(r[0], r[1]): (r[2], r[3]) for r in rows if r[2] or r[3]})
            assert all(totals == found[0] for totals in found), as_of
            assert totals_as_of(cursor, as_of) in totals_readings(as_of)
            customers += len(found[0])
            # The worklist's reading of the open invoices alone: the same open column.
            open_amounts = {key: pair[0] for key, pair in found[0].items() if pair[0]}
            for reading in totals_readings(as_of, open_only=True):
                cursor.execute(reading.sql, reading.params)
                rows = cursor.fetchall()
                assert all(len(r) == 3 for r in rows)
                assert {(r[0], r[1]): r[2] for r in rows if r[2]} == open_amounts, as_of
            assert totals_as_of(cursor, as_of, open_only=True) in totals_readings(
                as_of, open_only=True
            )
    assert customers > 2 * len(DATES)


def test_the_monthly_movements_follow_every_movement_and_a_drift_is_found():
    _book, late = backdated_book()
    assert open_balance_mismatches() == []
    # The backdated application's month holds it and its reversal's month takes it back.
    february = AccountMonthlyMovement.objects.get(
        account=late, currency="USD", month=date(2026, 2, 1)
    )
    march = AccountMonthlyMovement.objects.get(account=late, currency="USD", month=date(2026, 3, 1))
    # February: X's 2,000.00 applied and 500.00 credited, the void invoice's 350.00
    # invoiced; March: Y invoiced and paid, the 2,000.00 reversal.
    assert february.open_amount == D("350.00") - D("2000.00") - D("500.00")
    assert march.open_amount == D("800.00") - D("800.00") + D("2000.00")
    AccountMonthlyMovement.objects.filter(pk=march.pk).update(open_amount=march.open_amount + 7)
    (found,) = open_balance_mismatches()
    assert (found.kind, found.document_id) == ("month", late.pk)
    assert found.maintained[0] - found.from_movements[0] == D(7)


def test_the_check_names_an_application_dated_before_its_invoice():
    book = a_book_with_every_movement()
    application = PaymentApplication.objects.filter(invoice=book.d).first()
    PaymentApplication.objects.filter(pk=application.pk).update(applied_date=date(2025, 9, 1))
    found = [m for m in open_balance_mismatches() if m.kind == "early_application"]
    assert [m.document_id for m in found] == [application.pk]
