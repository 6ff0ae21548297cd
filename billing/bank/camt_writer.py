"""Write a CAMT.053.001.08 statement (with its control totals) from plain entries: used by
the demo to produce the bank's files the way a bank would send them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from billing.bank.parsers.records import CREDIT, ParsedEntry
from core.money import round_money

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
E = ElementMaker(namespace=NAMESPACE, nsmap={None: NAMESPACE})


def _amount(value: Decimal, currency: str):
    return E.Amt(_text(value, currency), Ccy=currency)


def _text(value: Decimal, currency: str) -> str:
    return format(round_money(value, currency), "f")


def _balance(code: str, value: Decimal, currency: str, day: date):
    return E.Bal(
        E.Tp(E.CdOrPrtry(E.Cd(code))),
        _amount(abs(value), currency),
        E.CdtDbtInd("CRDT" if value >= 0 else "DBIT"),
        E.Dt(E.Dt(day.isoformat())),
    )


def _entry(entry: ParsedEntry):
    credit = entry.direction == CREDIT
    role = "Dbtr" if credit else "Cdtr"
    party = E(role, E.Pty(E.Nm(entry.payer_name or "Unknown")))
    parties = [party]
    if entry.payer_account:
        parties.append(E(f"{role}Acct", E.Id(E.IBAN(entry.payer_account))))
    return E.Ntry(
        E.NtryRef(entry.bank_reference),
        _amount(entry.amount, entry.currency),
        E.CdtDbtInd("CRDT" if credit else "DBIT"),
        E.Sts(E.Cd("BOOK")),
        E.BookgDt(E.Dt(entry.booking_date.isoformat())),
        E.ValDt(E.Dt((entry.value_date or entry.booking_date).isoformat())),
        E.AcctSvcrRef(entry.bank_reference),
        E.NtryDtls(
            E.TxDtls(
                E.Refs(E.EndToEndId(entry.end_to_end_id or "NOTPROVIDED")),
                E.RltdPties(*parties),
                E.RmtInf(E.Ustrd(entry.remittance_text or "")),
            )
        ),
    )


def camt053_statement(
    *,
    statement_id: str,
    bank_account: str,
    currency: str,
    opening_balance: Decimal,
    from_date: date,
    to_date: date,
    entries: list[ParsedEntry],
) -> bytes:
    credits = [e.amount for e in entries if e.direction == CREDIT]
    debits = [e.amount for e in entries if e.direction != CREDIT]
    closing = opening_balance + sum(credits, Decimal(0)) - sum(debits, Decimal(0))
    document = E.Document(
        E.BkToCstmrStmt(
            E.GrpHdr(E.MsgId(f"MSG-{statement_id}"), E.CreDtTm(f"{to_date.isoformat()}T20:00:00")),
            E.Stmt(
                E.Id(statement_id),
                E.CreDtTm(f"{to_date.isoformat()}T20:00:00"),
                E.FrToDt(
                    E.FrDtTm(f"{from_date.isoformat()}T00:00:00"),
                    E.ToDtTm(f"{to_date.isoformat()}T23:59:59"),
                ),
                E.Acct(E.Id(E.IBAN(bank_account)), E.Ccy(currency)),
                _balance("OPBD", opening_balance, currency, from_date),
                _balance("CLBD", closing, currency, to_date),
                E.TxsSummry(
                    E.TtlNtries(
                        E.NbOfNtries(str(len(entries))),
                        E.Sum(_text(sum(credits + debits, Decimal(0)), currency)),
                    ),
                    E.TtlCdtNtries(
                        E.NbOfNtries(str(len(credits))),
                        E.Sum(_text(sum(credits, Decimal(0)), currency)),
                    ),
                    E.TtlDbtNtries(
                        E.NbOfNtries(str(len(debits))),
                        E.Sum(_text(sum(debits, Decimal(0)), currency)),
                    ),
                ),
                *[_entry(e) for e in entries],
            ),
        )
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
