"""Open invoices and CAMT.053 files for the bank statement tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from billing.models import Invoice, InvoiceLine, LegalEntity
from billing.services import issue_invoice
from tests.factories import LegalEntityFactory

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
OUR_IBAN = "DE89370400440532013000"


def open_invoice(account, total: str, invoice_date: date, *, currency: str = "EUR") -> Invoice:
    """An issued invoice of one untaxed line, due 30 days after its date."""
    entity = LegalEntity.objects.filter(is_default=True).first() or LegalEntityFactory()
    amount = Decimal(total)
    invoice = Invoice.objects.create(
        legal_entity=entity,
        account=account,
        currency=currency,
        invoice_date=invoice_date,
        due_date=invoice_date,
        payment_terms="NET30",
        buyer_name=account.legal_name,
        subtotal_amount=amount,
        total_amount=amount,
    )
    InvoiceLine.objects.create(
        invoice=invoice, position=1, description="Platform", quantity=1, unit_price=amount,
        amount=amount,
    )  # fmt: skip
    return issue_invoice(invoice=invoice, actor=None, invoice_date=invoice_date)


@dataclass
class Entry:
    ref: str
    amount: str
    payer: str = ""
    payer_iban: str = ""
    text: str = ""
    credit: bool = True
    booked: date = date(2026, 3, 2)
    currency: str = "EUR"


def _entry_xml(e: Entry) -> str:
    role = "Dbtr" if e.credit else "Cdtr"
    return f"""
    <Ntry>
      <NtryRef>{e.ref}</NtryRef>
      <Amt Ccy="{e.currency}">{e.amount}</Amt>
      <CdtDbtInd>{"CRDT" if e.credit else "DBIT"}</CdtDbtInd>
      <Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>{e.booked.isoformat()}</Dt></BookgDt>
      <ValDt><Dt>{e.booked.isoformat()}</Dt></ValDt>
      <AcctSvcrRef>{e.ref}</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      <NtryDtls><TxDtls>
        <Refs><EndToEndId>E2E-{e.ref}</EndToEndId></Refs>
        <RltdPties>
          <{role}><Pty><Nm>{escape(e.payer)}</Nm></Pty></{role}>
          <{role}Acct><Id><IBAN>{e.payer_iban}</IBAN></Id></{role}Acct>
        </RltdPties>
        <RmtInf><Ustrd>{escape(e.text)}</Ustrd></RmtInf>
      </TxDtls></NtryDtls>
    </Ntry>"""


def camt053(
    entries: list[Entry],
    *,
    statement_id: str = "STMT-2026-03-02",
    opening: str = "10000.00",
    closing: str | None = None,
    credit_sum: str | None = None,
    entry_count: int | None = None,
    currency: str = "EUR",
) -> bytes:
    """A CAMT.053.001.08 file whose control totals agree with its entries unless a
    total is given to make them disagree."""
    credits = sum((Decimal(e.amount) for e in entries if e.credit), Decimal(0))
    debits = sum((Decimal(e.amount) for e in entries if not e.credit), Decimal(0))
    closing = closing or str(Decimal(opening) + credits - debits)
    n_credit = sum(1 for e in entries if e.credit)
    body = "".join(_entry_xml(e) for e in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{CAMT_NS}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-03-02T18:00:00</CreDtTm>
      <Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id><Ccy>{currency}</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{opening}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-01</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">{closing}</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-02</Dt></Dt></Bal>
      <TxsSummry>
        <TtlNtries><NbOfNtries>{len(entries) if entry_count is None else entry_count}</NbOfNtries>
          <Sum>{credits + debits}</Sum></TtlNtries>
        <TtlCdtNtries><NbOfNtries>{n_credit}</NbOfNtries>
          <Sum>{credit_sum or credits}</Sum></TtlCdtNtries>
      </TxsSummry>{body}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()
