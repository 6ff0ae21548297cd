"""BAI2 and MT940 statement files as banks send them, built from `Entry` rows.

The control totals are computed from the entries unless a test overrides one to see the
file refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tests.bank_factories import Entry

US_ACCOUNT = "0975312468"
OUR_IBAN = "DE89370400440532013000"


def _cents(amount: str | Decimal) -> int:
    return int(Decimal(amount) * 100)


def bai2_file(
    entries: list[Entry],
    *,
    as_of: date = date(2026, 3, 2),
    opening: str = "10000.00",
    closing: str | None = None,
    account_total: int | None = None,
    file_total: int | None = None,
    file_id: str = "0302A",
) -> bytes:
    """One file, one group, one account: 010 opening and 015 closing ledger, then a 16
    record per entry (195 incoming wire for credits, 699 miscellaneous debit), as US
    banks' prior-day reports look."""
    credits = sum((Decimal(e.amount) for e in entries if e.credit), Decimal(0))
    debits = sum((Decimal(e.amount) for e in entries if not e.credit), Decimal(0))
    closing = closing or str(Decimal(opening) + credits - debits)
    day = as_of.strftime("%y%m%d")
    summary = (
        f"03,{US_ACCOUNT},USD,010,{_cents(opening)},,,015,{_cents(closing)},,,"
        f"100,{_cents(credits)},{sum(e.credit for e in entries)},,"
        f"400,{_cents(debits)},{sum(not e.credit for e in entries)},/"
    )
    details = []
    for e in entries:
        code = "195" if e.credit else "699"
        text = f"ORIG CO NAME:{e.payer} REF {e.text}" if e.payer else e.text
        details.append(f"16,{code},{_cents(e.amount)},Z,{e.ref},,{text}/")
    total = (
        _cents(opening) + _cents(closing) + _cents(credits) + _cents(debits)
        + sum(_cents(e.amount) for e in entries)
    )  # fmt: skip
    account_total = total if account_total is None else account_total
    records = 2 + len(details)  # 03 ... 49
    lines = [
        f"01,021000021,LEDGERLINE,{day},0600,{file_id},80,,2/",
        f"02,LEDGERLINE,021000021,1,{day},2400,USD,2/",
        summary,
        *details,
        f"49,{account_total},{records}/",
        f"98,{account_total},1,{records + 2}/",
        f"99,{account_total if file_total is None else file_total},1,{records + 4}/",
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def _swift_amount(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",")


def mt940_file(
    entries: list[Entry],
    *,
    opening: str = "10000.00",
    closing: str | None = None,
    statement_number: str = "00057",
    currency: str = "EUR",
) -> bytes:
    """One MT940 message (SWIFT blocks 1, 2 and 4) with a :61: and a structured :86:
    per entry: /ORDP/ the payer, /REMI/ the remittance text, /IBAN/ their account."""
    opening_d = Decimal(opening)
    movement = sum(
        (Decimal(e.amount) if e.credit else -Decimal(e.amount) for e in entries), Decimal(0)
    )
    closing_d = Decimal(closing) if closing is not None else opening_d + movement
    first = min((e.booked for e in entries), default=date(2026, 3, 2))
    last = max((e.booked for e in entries), default=date(2026, 3, 2))
    lines = [
        "{1:F01COBADEFFAXXX0000000000}{2:O9400600260302COBADEFFAXXX00000000002603020600N}{4:",
        ":20:STMT260302",
        f":25:{OUR_IBAN}",
        f":28C:{statement_number}/1",
        f":60F:C{first.strftime('%y%m%d')}{currency}{_swift_amount(opening_d)}",
    ]
    for e in entries:
        day = e.booked.strftime("%y%m%d")
        mark = "C" if e.credit else "D"
        kind = "NTRF" if e.credit else "NCHG"
        lines.append(
            f":61:{day}{day[2:]}{mark}{_swift_amount(Decimal(e.amount))}{kind}NONREF//{e.ref}"
        )
        details = "".join(
            f"/{code}/{value}"
            for code, value in (("ORDP", e.payer), ("REMI", e.text), ("IBAN", e.payer_iban))
            if value
        )
        lines.append(f":86:{details}")
    mark = "C" if closing_d >= 0 else "D"
    lines += [
        f":62F:{mark}{last.strftime('%y%m%d')}{currency}{_swift_amount(abs(closing_d))}",
        "-}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
