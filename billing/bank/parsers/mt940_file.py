"""SWIFT MT940 (customer statement message) files, one or more statements per file.

Read with the `mt-940` package. Each statement's control total is its balances: the
opening balance (:60F: or :60M:) plus the credits minus the debits of its :61: lines must
equal the closing balance (:62F: or :62M:); a statement that disagrees refuses the whole
file. Amounts come as Decimal in the statement's currency.

The bank's reference is the :61: line's "//" reference; where a bank leaves it out, the
customer reference (unless NONREF) with the statement number, else the line's position
in its statement, identifies the transaction across re-imports of the same file.
"""

from __future__ import annotations

import re
from decimal import Decimal

import mt940

from billing.bank.parsers.records import CREDIT, DEBIT, ParsedEntry, ParsedStatement
from billing.error_codes import BillingError
from core.errors import DomainValidationError
from core.money import is_known_currency

_STATEMENT_START = re.compile(r"^:20:", re.MULTILINE)
# SWIFT structured :86: codes (/ORDP/ ordering party, /REMI/ remittance, /NAME/ ...).
_SWIFT_CODE = re.compile(r"/(ORDP|NAME|REMI|EREF|IBAN|BENM)/([^/]*)")


def _refuse(code: str, message: str) -> DomainValidationError:
    return DomainValidationError(field="file", code=code, message=message)


def parse_mt940(content: bytes) -> list[ParsedStatement]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    text = text.replace("\r\n", "\n")
    starts = [m.start() for m in _STATEMENT_START.finditer(text)]
    if not starts or ":61:" not in text and ":62F:" not in text and ":62M:" not in text:
        raise _refuse(
            BillingError.NOT_MT940,
            "The file is not an MT940 statement: it has no :20: and :62F: fields.",
        )
    blocks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return [_statement(block, position) for position, block in enumerate(blocks, start=1)]


def _statement(block: str, position: int) -> ParsedStatement:
    statement = mt940.models.Transactions()
    try:
        statement.parse(block)
    except Exception as err:  # the library raises bare ValueError/RuntimeError on bad tags
        raise _refuse(
            BillingError.NOT_MT940, f"Statement {position} is not readable MT940: {err}"
        ) from None
    data = statement.data
    account = (data.get("account_identification") or "").replace(" ", "")
    number = "/".join(p for p in (data.get("statement_number"), data.get("sequence_number")) if p)
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    if not account or opening is None or closing is None:
        raise _refuse(
            BillingError.INCOMPLETE_STATEMENT,
            f"Statement {position} lacks its account (:25:), opening (:60F:) or closing "
            "(:62F:) balance.",
        )
    currency = opening.amount.currency
    if not is_known_currency(currency) or closing.amount.currency != currency:
        raise _refuse(
            BillingError.BAD_AMOUNT, f"Statement {position}: {currency!r} is not one currency."
        )
    statement_id = f"{data.get('transaction_reference', '')}/{number or position}"
    parsed = ParsedStatement(
        statement_id=statement_id[:140],
        bank_account=account,
        currency=currency,
        opening_balance=Decimal(opening.amount.amount),
        closing_balance=Decimal(closing.amount.amount),
        from_date=opening.date,
        to_date=closing.date,
        message_id=data.get("transaction_reference", ""),
    )
    movements = Decimal(0)
    for index, line in enumerate(statement, start=1):
        amount = Decimal(line.data["amount"].amount)
        if line.data.get("currency", currency) != currency:
            raise _refuse(
                BillingError.BAD_AMOUNT,
                f"Statement {statement_id}: line {index} is in another currency.",
            )
        movements += amount
        parsed.entries.append(_entry(line.data, index, parsed, amount))
    expected = parsed.opening_balance + movements
    if expected != parsed.closing_balance:
        raise _refuse(
            BillingError.BALANCES_MISMATCH,
            f"Statement {statement_id}: opening balance {parsed.opening_balance} plus the "
            f"movements is {expected}, not the closing balance {parsed.closing_balance}.",
        )
    return parsed


def _entry(data: dict, index: int, statement: ParsedStatement, amount: Decimal) -> ParsedEntry:
    details = " ".join(str(data.get("transaction_details") or "").split())
    codes = {}
    for code, value in _SWIFT_CODE.findall(details):
        codes.setdefault(code, value.strip())
    payer = codes.get("ORDP") or codes.get("NAME") or data.get("applicant_name") or ""
    texts = [
        codes.get("REMI") or data.get("purpose") or details,
        data.get("additional_purpose") or "",
        data.get("extra_details") or "",
    ]
    customer_ref = (data.get("customer_reference") or "").strip()
    if customer_ref and customer_ref.upper() != "NONREF":
        texts.insert(0, customer_ref)
    bank_ref = (data.get("bank_reference") or "").strip()
    return ParsedEntry(
        bank_reference=(bank_ref or f"{statement.statement_id}#{index}")[:140],
        direction=CREDIT if amount >= 0 else DEBIT,
        amount=abs(amount),
        currency=statement.currency,
        booking_date=data.get("entry_date") or data.get("date"),
        value_date=data.get("date"),
        payer_name=str(payer).strip()[:200],
        payer_account=(codes.get("IBAN") or data.get("applicant_iban") or "").replace(" ", "")[:64],
        remittance_text=" ".join(t for t in texts if t)[:500],
        end_to_end_id=(codes.get("EREF") or "")[:64],
    )
