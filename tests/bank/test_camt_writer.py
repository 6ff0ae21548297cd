"""The demo's CAMT.053 writer produces files the importer reads back entry for entry,
with control totals that agree (JPY without decimals)."""

from datetime import date
from decimal import Decimal

from billing.bank.camt_writer import camt053_statement
from billing.bank.parsers import parse_camt053
from billing.bank.parsers.records import CREDIT, DEBIT, ParsedEntry


def entry(ref, amount, direction=CREDIT, currency="JPY"):
    return ParsedEntry(
        bank_reference=ref,
        direction=direction,
        amount=Decimal(amount),
        currency=currency,
        booking_date=date(2026, 3, 2),
        value_date=date(2026, 3, 2),
        payer_name="Hooli K.K.",
        payer_account="JP00TEST",
        remittance_text="INV-2026-000001",
        end_to_end_id="E2E-1",
    )


def test_a_written_statement_reads_back_with_the_same_entries():
    entries = [entry("A", "120000"), entry("B", "1500", DEBIT), entry("C", "7")]
    content = camt053_statement(
        statement_id="S-1",
        bank_account="JP00OURS",
        currency="JPY",
        opening_balance=Decimal("1000000"),
        from_date=date(2026, 3, 1),
        to_date=date(2026, 3, 2),
        entries=entries,
    )
    (statement,) = parse_camt053(content)
    assert statement.entries == entries
    assert statement.closing_balance == Decimal("1118507")
    assert b"<Sum>121507</Sum>" in content
