"""BAI2 (BAI Cash Management Balance Reporting Specification, version 2) files.

Read with the `bai2` package, which checks the file's own control totals: each account
trailer (49) against the sum of its summary and detail amounts, each group trailer (98)
against its accounts, the file trailer (99) against its groups, and the record and
account counts. A file that fails any of them is refused whole. Where an account reports
both its opening (010) and closing (015) ledger, opening + credits - debits must equal
closing as well.

BAI2 amounts carry no decimal point: they are in the currency's minor units (cents), the
currency being the account's, else the group's, else USD (the spec's default).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from bai2 import bai2
from bai2.constants import TypeCodeTransaction
from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException

from billing.bank.parsers.records import CREDIT, DEBIT, ParsedEntry, ParsedStatement
from billing.error_codes import BillingError
from core.errors import DomainValidationError
from core.money import from_minor_units, is_known_currency

OPENING_LEDGER = "010"
CLOSING_LEDGER = "015"
# Originator names as US banks write them in the text of ACH and wire details.
_PAYER = re.compile(
    r"(?:ORIG CO NAME|ORIGINATOR|ORIG|B/O|ORG)\s*[:=]\s*(.+?)"
    r"(?=\s+(?:ORIG ID|CO ENTRY|ENTRY DESCR|DESCR|REF|OBI|BNF|ACCT|ID)\b|[/;]|$)",
    re.IGNORECASE,
)


def _refuse(code: str, message: str) -> DomainValidationError:
    return DomainValidationError(field="file", code=code, message=message)


def parse_bai2(content: bytes) -> list[ParsedStatement]:
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError:
        raise _refuse(
            BillingError.NOT_BAI2, "The file is not a BAI2 file (not plain text)."
        ) from None
    if not text.lstrip().startswith("01,"):
        raise _refuse(
            BillingError.NOT_BAI2,
            "The file is not a BAI2 file: it does not start with a file header (01).",
        )
    try:
        parsed = bai2.parse_from_string(text, check_integrity=True)
    except IntegrityException as err:
        raise _refuse(
            BillingError.CONTROL_TOTALS_MISMATCH,
            f"The file's control totals disagree with its records: {err}",
        ) from None
    except (ParsingException, NotSupportedYetException, ValueError, KeyError, IndexError) as err:
        raise _refuse(
            BillingError.NOT_BAI2, f"The file is not a readable BAI2 file: {err}"
        ) from None
    file_id = parsed.header.file_id or ""
    statements = []
    for group in parsed.children:
        group_currency = group.header.currency or "USD"
        as_of: date = group.header.as_of_date
        for account in group.children:
            statements.append(_statement(account, file_id, group_currency, as_of))
    return statements


def _statement(account, file_id: str, group_currency: str, as_of: date) -> ParsedStatement:
    number = (account.header.customer_account_number or "").strip()
    currency = (account.header.currency or group_currency).upper()
    if not number:
        raise _refuse(
            BillingError.INCOMPLETE_STATEMENT, "An account record (03) has no account number."
        )
    if not is_known_currency(currency):
        raise _refuse(BillingError.BAD_AMOUNT, f"Account {number}: {currency!r} is not a currency.")
    summaries = {s.type_code.code: s for s in account.header.summary_items if s.type_code}

    def balance(code: str) -> Decimal | None:
        item = summaries.get(code)
        return from_minor_units(item.amount, currency) if item and item.amount is not None else None

    parsed = ParsedStatement(
        statement_id=f"{file_id}/{as_of.isoformat()}/{number}",
        bank_account=number,
        currency=currency,
        opening_balance=balance(OPENING_LEDGER),
        closing_balance=balance(CLOSING_LEDGER),
        from_date=as_of,
        to_date=as_of,
        message_id=file_id,
    )
    credits = debits = Decimal(0)
    for index, detail in enumerate(account.children, start=1):
        kind = detail.type_code.transaction
        if kind not in (TypeCodeTransaction.credit, TypeCodeTransaction.debit):
            continue  # informational detail (type codes 890 and the like): not money
        amount = from_minor_units(detail.amount or 0, currency)
        direction = CREDIT if kind == TypeCodeTransaction.credit else DEBIT
        if direction == CREDIT:
            credits += amount
        else:
            debits += amount
        parsed.entries.append(_entry(detail, index, parsed, direction, amount))
    if parsed.opening_balance is not None and parsed.closing_balance is not None:
        expected = parsed.opening_balance + credits - debits
        if expected != parsed.closing_balance:
            raise _refuse(
                BillingError.BALANCES_MISMATCH,
                f"Account {number}: opening ledger {parsed.opening_balance} plus the "
                f"details is {expected}, not the closing ledger {parsed.closing_balance}.",
            )
    return parsed


def _entry(detail, index: int, statement: ParsedStatement, direction: str, amount) -> ParsedEntry:
    bank_ref = (detail.bank_reference or "").strip()
    customer_ref = (detail.customer_reference or "").strip()
    text = " ".join((detail.text or "").split())
    payer = _PAYER.search(text)
    return ParsedEntry(
        # Without a bank reference the position in the day's account report is stable
        # across re-sends of the same file, which is what idempotency needs.
        bank_reference=(bank_ref or f"{statement.statement_id}#{index}")[:140],
        direction=direction,
        amount=amount,
        currency=statement.currency,
        booking_date=statement.to_date,
        value_date=statement.to_date,
        payer_name=payer.group(1).strip()[:200] if payer else "",
        remittance_text=" ".join(t for t in (customer_ref, text) if t)[:500],
        end_to_end_id=customer_ref[:64],
    )
