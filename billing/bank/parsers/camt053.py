"""ISO 20022 CAMT.053 (bank-to-customer statement), any version 001.02 to 001.13.

Read with lxml against the message structure rather than with `pycamt` (the one CAMT
parser on PyPI): it passes balances through float, drops each entry's currency, gives
every detail of a batched entry the same id and does not read the transaction summary,
so it could not check control totals. Namespaces are ignored so that every version reads
the same. External entities and network access are off.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from billing.bank.parsers.records import CREDIT, DEBIT, ParsedEntry, ParsedStatement
from core.errors import DomainValidationError

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _refuse(code: str, message: str) -> DomainValidationError:
    return DomainValidationError(field="file", code=code, message=message)


def _strip_namespaces(root) -> None:
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname


def _text(element, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _amount(element, path: str, where: str) -> Decimal:
    raw = _text(element, path)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _refuse("bad_amount", f"{where}: {raw!r} is not an amount.") from None
    if not value.is_finite() or value < 0:
        raise _refuse("bad_amount", f"{where}: {raw!r} is not an amount.")
    return value


def _date(element, path: str) -> date | None:
    """A <Dt> or the date part of a <DtTm> under `path`."""
    node = element.find(path) if element is not None else None
    if node is None:
        return None
    raw = _text(node, "Dt") or _text(node, "DtTm")[:10] or (node.text or "").strip()[:10]
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise _refuse("bad_date", f"{raw!r} is not a date.") from None


def _signed(element) -> Decimal:
    amount = _amount(element, "Amt", "Balance")
    return -amount if _text(element, "CdtDbtInd") == "DBIT" else amount


def parse_camt053(content: bytes) -> list[ParsedStatement]:
    try:
        root = etree.fromstring(content, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        raise _refuse("not_xml", f"The file is not readable XML: {err}.") from None
    _strip_namespaces(root)
    message = root.find("BkToCstmrStmt")
    if message is None:
        raise _refuse("not_camt053", "The file is not a CAMT.053 bank-to-customer statement.")
    message_id = _text(message, "GrpHdr/MsgId")
    statements = [_statement(stmt, message_id) for stmt in message.findall("Stmt")]
    if not statements:
        raise _refuse("no_statement", "The file holds no statement.")
    return statements


def _statement(stmt, message_id: str) -> ParsedStatement:
    account = _text(stmt, "Acct/Id/IBAN") or _text(stmt, "Acct/Id/Othr/Id")
    statement_id = _text(stmt, "Id")
    if not account or not statement_id:
        raise _refuse("incomplete_statement", "A statement has no id or no account.")
    balances = {}
    for bal in stmt.findall("Bal"):
        kind = _text(bal, "Tp/CdOrPrtry/Cd") or _text(bal, "Tp/CdOrPrtry/Prtry")
        balances[kind] = (_signed(bal), _date(bal, "Dt"), bal.find("Amt").get("Ccy", ""))
    currency = _text(stmt, "Acct/Ccy") or next((b[2] for b in balances.values() if b[2]), "")
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    parsed = ParsedStatement(
        statement_id=statement_id,
        bank_account=account.replace(" ", ""),
        currency=currency,
        opening_balance=opening[0] if opening else None,
        closing_balance=closing[0] if closing else None,
        from_date=_date(stmt, "FrToDt/FrDtTm") or (opening[1] if opening else None),
        to_date=_date(stmt, "FrToDt/ToDtTm") or (closing[1] if closing else None),
        message_id=message_id,
    )
    entries = stmt.findall("Ntry")
    _check_totals(stmt, entries, parsed)
    for index, entry in enumerate(entries, start=1):
        status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
        if status and status != "BOOK":
            continue  # pending or information-only: not money on the account yet
        parsed.entries.extend(_entries(entry, index, parsed))
    return parsed


def _check_totals(stmt, entries, parsed: ParsedStatement) -> None:
    """The file's own control totals: refuse the whole file if any disagrees."""
    amounts = {CREDIT: [], DEBIT: []}
    for entry in entries:
        direction = CREDIT if _text(entry, "CdtDbtInd") == "CRDT" else DEBIT
        amounts[direction].append(_amount(entry, "Amt", f"Entry {_text(entry, 'NtryRef')}"))
    credits, debits = amounts[CREDIT], amounts[DEBIT]
    summary = stmt.find("TxsSummry")
    checks = [
        ("TtlNtries", len(entries), sum(credits + debits, Decimal(0))),
        ("TtlCdtNtries", len(credits), sum(credits, Decimal(0))),
        ("TtlDbtNtries", len(debits), sum(debits, Decimal(0))),
    ]
    for tag, count, total in checks:
        node = summary.find(tag) if summary is not None else None
        if node is None:
            continue
        stated_count = _text(node, "NbOfNtries")
        if stated_count and int(stated_count) != count:
            raise _refuse(
                "control_totals_mismatch",
                f"Statement {parsed.statement_id}: {tag} says {stated_count} entries, "
                f"the file holds {count}.",
            )
        if _text(node, "Sum") and _amount(node, "Sum", tag) != total:
            raise _refuse(
                "control_totals_mismatch",
                f"Statement {parsed.statement_id}: {tag} sums to {_text(node, 'Sum')}, "
                f"the entries to {total}.",
            )
    if parsed.opening_balance is not None and parsed.closing_balance is not None:
        expected = parsed.opening_balance + sum(credits, Decimal(0)) - sum(debits, Decimal(0))
        if expected != parsed.closing_balance:
            raise _refuse(
                "balances_mismatch",
                f"Statement {parsed.statement_id}: opening {parsed.opening_balance} plus "
                f"entries is {expected}, not the closing balance {parsed.closing_balance}.",
            )


def _party_name(details, role: str) -> str:
    return _text(details, f"RltdPties/{role}/Nm") or _text(details, f"RltdPties/{role}/Pty/Nm")


def _entries(entry, index: int, statement: ParsedStatement) -> list[ParsedEntry]:
    """One record per transaction detail of the entry (a batched credit holds several
    remittances), each referenced by the bank's entry reference and its own."""
    amount = _amount(entry, "Amt", f"Entry {index}")
    currency = entry.find("Amt").get("Ccy", statement.currency)
    direction = CREDIT if _text(entry, "CdtDbtInd") == "CRDT" else DEBIT
    entry_ref = (
        _text(entry, "AcctSvcrRef")
        or _text(entry, "NtryRef")
        or f"{statement.statement_id}#{index}"
    )
    booking = _date(entry, "BookgDt") or _date(entry, "ValDt") or statement.to_date
    value = _date(entry, "ValDt")
    details = entry.findall("NtryDtls/TxDtls")
    extra = _text(entry, "AddtlNtryInf")
    if len(details) <= 1:
        detail = details[0] if details else None
        return [_record(detail, entry_ref, direction, amount, currency, booking, value, extra)]
    records = []
    for position, detail in enumerate(details, start=1):
        own = _text(detail, "AmtDtls/TxAmt/Amt") or _text(detail, "Amt")
        if not own:
            raise _refuse("bad_amount", f"Entry {entry_ref}: a batched detail has no amount.")
        ref = _text(detail, "Refs/AcctSvcrRef") or _text(detail, "Refs/EndToEndId")
        ref = f"{entry_ref}/{ref or position}"
        records.append(
            _record(detail, ref, direction, Decimal(own), currency, booking, value, extra)
        )
    if sum(r.amount for r in records) != amount:
        raise _refuse(
            "control_totals_mismatch",
            f"Entry {entry_ref}: its details add up to {sum(r.amount for r in records)}, "
            f"not {amount}.",
        )
    return records


def _record(detail, ref, direction, amount, currency, booking, value, extra) -> ParsedEntry:
    payer_role = "Dbtr" if direction == CREDIT else "Cdtr"
    texts = [
        (node.text or "").strip()
        for node in (detail.findall("RmtInf/Ustrd") if detail is not None else [])
    ]
    if detail is not None:
        texts += [
            _text(strd, "CdtrRefInf/Ref") or _text(strd, "RfrdDocInf/Nb")
            for strd in detail.findall("RmtInf/Strd")
        ]
    if not any(texts) and extra:
        texts.append(extra)
    return ParsedEntry(
        bank_reference=ref[:140],
        direction=direction,
        amount=amount,
        currency=currency,
        booking_date=booking,
        value_date=value,
        payer_name=_party_name(detail, payer_role)[:200] if detail is not None else "",
        payer_account=(
            _text(detail, f"RltdPties/{payer_role}Acct/Id/IBAN")
            or _text(detail, f"RltdPties/{payer_role}Acct/Id/Othr/Id")
        ).replace(" ", "")[:64]
        if detail is not None
        else "",
        remittance_text=" ".join(t for t in texts if t)[:500],
        end_to_end_id=_text(detail, "Refs/EndToEndId")[:64] if detail is not None else "",
    )
