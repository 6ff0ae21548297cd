"""What a parsed bank statement holds, whatever its file format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

CREDIT = "credit"
DEBIT = "debit"


@dataclass(frozen=True)
class ParsedEntry:
    bank_reference: str
    direction: str  # CREDIT (money in) or DEBIT
    amount: Decimal  # positive; direction gives the sign
    currency: str
    booking_date: date
    value_date: date | None
    payer_name: str = ""
    payer_account: str = ""
    remittance_text: str = ""
    end_to_end_id: str = ""


@dataclass
class ParsedStatement:
    statement_id: str
    bank_account: str  # IBAN (or other account id) of our account at the bank
    currency: str
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    from_date: date | None
    to_date: date | None
    message_id: str = ""
    entries: list[ParsedEntry] = field(default_factory=list)
