"""The maintained open balances (each invoice's paid and credited amounts, each payment's
and credit note's applied and refunded amounts) equal the sums of their movements after
every kind of movement the billing services write, and the check finds a figure that
does not (billing.selectors.open_balance, manage.py check_open_balances)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from billing.models import AccountOpenBalance, ArDailyTotal, Invoice, Payment
from billing.selectors.open_balance import open_balance_mismatches
from billing.services import refund_credit_note, void_invoice
from tests.collections.test_aging_book import issued_invoice, payment, refund
from tests.collections.test_open_on_a_date import a_book_with_everything

pytestmark = pytest.mark.django_db
D = Decimal
# The customers' balances and the daily totals are kept by PostgreSQL triggers.
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="kept by PostgreSQL triggers"
)


def a_book_with_every_movement():
    """Payments applied and reversed, credit notes on invoices and on account, credit
    applied and reversed, a write-off (a_book_with_everything), then a payment refund, a
    refund of credit on account and a voided invoice."""
    book = a_book_with_everything()
    refund(book.p1, "100.00", date(2026, 6, 2))
    note = book.a.credit_notes.get(on_account_amount__gt=0)
    refund_credit_note(
        credit_note=note, amount=D("50.00"), actor=None, reference="RF-2", reason="Overpaid",
        refund_date=date(2026, 6, 3),
    )  # fmt: skip
    voided = issued_invoice(book.account, "250.00", date(2026, 6, 5))
    void_invoice(invoice=voided, actor=None, reason="Wrong customer")
    return book


def test_the_maintained_balances_equal_the_movements_after_every_kind_of_movement(capsys):
    a_book_with_every_movement()
    assert open_balance_mismatches() == []
    call_command("check_open_balances")
    assert "agree" in capsys.readouterr().out


def test_the_check_names_an_invoice_and_a_payment_whose_figures_drifted():
    book = a_book_with_every_movement()
    paid = Invoice.objects.get(pk=book.d.pk).paid_amount
    Invoice.objects.filter(pk=book.d.pk).update(paid_amount=paid + D("1.00"))
    spare = payment(book.account, "80.00", date(2026, 6, 10), reference="WIRE-P9")
    Payment.objects.filter(pk=spare.pk).update(applied_amount=D("30.00"))
    found = open_balance_mismatches()
    assert [(m.kind, m.document_id) for m in found] == [
        ("invoice", book.d.pk),
        ("payment", spare.pk),
    ]
    assert found[0].maintained[0] - found[0].from_movements[0] == D("1.00")
    assert found[1].from_movements == (D(0), D(0))
    with pytest.raises(CommandError, match="2 documents"):
        call_command("check_open_balances")


@on_postgresql
def test_each_customers_open_balance_follows_every_movement_and_a_drift_is_found():
    book = a_book_with_every_movement()
    # D 2,400.00 (3,000 - 400 paid - 200 written off) and C 400.00, both still open.
    kept = AccountOpenBalance.objects.get(account=book.account, currency="USD")
    assert (kept.open_amount, kept.open_invoices, kept.oldest_due_date) == (
        D("2800.00"),
        2,
        Invoice.objects.get(pk=book.d.pk).due_date,
    )
    # P1 1,500 - 600 - 400 - 100 refunded, P2 1,000 (reversed), P3 300, and the credit
    # note's 100.00 on account less 50.00 refunded.
    assert kept.unapplied_amount == D("1750.00")
    AccountOpenBalance.objects.filter(pk=kept.pk).update(open_invoices=3)
    found = open_balance_mismatches()
    assert [(m.kind, m.document_id, m.maintained[1]) for m in found] == [
        ("account", book.account.pk, 3)
    ]
    AccountOpenBalance.objects.filter(pk=kept.pk).update(open_invoices=2, unapplied_amount=0)
    (found,) = open_balance_mismatches()
    assert (found.kind, found.document_id) == ("account", book.account.pk)
    assert "unapplied" in str(found)


@on_postgresql
def test_the_daily_totals_follow_every_movement_and_a_drift_is_found():
    book = a_book_with_every_movement()
    assert open_balance_mismatches() == []
    day = ArDailyTotal.objects.get(currency="USD", day=book.p1.received_date)
    ArDailyTotal.objects.filter(pk=day.pk).update(unapplied_amount=day.unapplied_amount + 5)
    (found,) = open_balance_mismatches()
    assert (found.kind, found.maintained[1] - found.from_movements[1]) == ("day", D(5))
