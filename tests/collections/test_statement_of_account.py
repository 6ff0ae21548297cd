"""Statements of account.

Worked example for Acme in USD, March 2026:
- before March: invoice A 1,000.00 (10 Jan) and a 400.00 payment applied to it: the
  opening balance on 1 March is 600.00;
- in March: invoice B 2,500.00 (2 Mar), a 100.00 credit note on B (5 Mar), a 250.00
  write-off of A (bad debt, 20 Mar), and a 1,000.00 wire (25 Mar) of which 800.00 is
  applied to B and 200.00 stays unapplied;
- closing balance 600 + 2,500 - 100 - 250 - 1,000 = 1,750.00, which is the aging's net
  total for Acme as of 31 March (open 350 on A + 1,600 on B, less 200 unapplied)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.services import apply_payment, issue_credit_note, record_payment
from billing.writeoffs.services import request_write_off
from collections_app.reports.aging import AgingParams, ar_aging
from collections_app.statements.render import statement_csv, statement_pdf_bytes
from collections_app.statements.selectors import statement_of_account
from ordermgmt import roles
from tests.bank_factories import open_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal
START, END = date(2026, 3, 1), date(2026, 3, 31)


def wire(account, amount, day, reference):
    return record_payment(
        account=account, amount=D(amount), currency="USD", received_date=day, method="wire",
        reference=reference, actor=None,
    )  # fmt: skip


@pytest.fixture
def acme():
    acme = AccountFactory(legal_name="Acme")
    a = open_invoice(acme, "1000.00", date(2026, 1, 10), currency="USD")
    first = wire(acme, "400.00", date(2026, 2, 9), "W-1")
    apply_payment(payment=first, invoice=a, amount=D("400.00"), actor=None,
                  applied_date=date(2026, 2, 9))  # fmt: skip
    b = open_invoice(acme, "2500.00", date(2026, 3, 2), currency="USD")
    issue_credit_note(invoice=b, actor=None, reason="Discount", amount=D("100.00"),
                      credit_date=date(2026, 3, 5))  # fmt: skip
    request_write_off(invoice=a, amount=D("250.00"), reason_code="bad_debt", actor=None,
                      write_off_date=date(2026, 3, 20))  # fmt: skip
    second = wire(acme, "1000.00", date(2026, 3, 25), "W-2")
    apply_payment(payment=second, invoice=b, amount=D("800.00"), actor=None,
                  applied_date=date(2026, 3, 25))  # fmt: skip
    return acme


def test_the_closing_balance_equals_the_aging_net_total_at_the_end_date(acme):
    statement = statement_of_account(account=acme, start=START, end=END, currency="USD")
    assert statement.opening == D("600.00")
    assert [line.kind for line in statement.lines] == [
        "Invoice",
        "Credit note",
        "Write-off",
        "Payment",
    ]
    assert statement.closing == D("1750.00")
    (usd,) = ar_aging(AgingParams(as_of=END, currency="USD"), account_id=acme.pk).currencies
    assert statement.closing == usd.net_total
    assert sum(statement.buckets, D(0)) + statement.unapplied_credits == statement.closing


def test_the_pdf_reads_back_with_the_lines_and_the_closing_balance(acme):
    statement = statement_of_account(account=acme, start=START, end=END, currency="USD")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(
        statement_pdf_bytes(statement))).pages)  # fmt: skip
    assert "Statement of account" in text and "Acme" in text
    assert "WO-2026-000001" in text and "$1,750.00" in text


def test_the_csv_has_a_row_per_movement_and_balances_that_add_up(acme):
    statement = statement_of_account(account=acme, start=START, end=END, currency="USD")
    rows = list(csv.reader(io.StringIO(statement_csv(statement))))
    body = rows[4:-1]
    assert len(body) == 4
    opening = D(rows[3][6])
    moves = sum((D(r[4] or 0) - D(r[5] or 0) for r in body), D(0))
    assert opening + moves == D(rows[-1][6]) == D("1750.00")


def test_finance_downloads_the_statement_as_pdf_and_csv(acme, client):
    client.force_login(UserFactory(role=roles.FINANCE))
    url = f"/collections/accounts/{acme.pk}/statement/?start=2026-03-01&end=2026-03-31&currency=USD"
    pdf = client.get(url)
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert client.get(url + "&format=csv").content.decode().splitlines()[-1].endswith("1750.0000")
    assert client.get(url.replace("2026-03-01", "2026-04-01")).status_code == 400
