"""Finance exports of the aging: content (CSV and XLSX), permissions, the export log."""

import csv
import io
import logging
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from collections_app.models import ExportLog
from ordermgmt import roles
from tests.collections.test_aging_book import issued_invoice, worked_example_book
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/collections/aging/export/{report}.{fmt}?as_of=2026-03-31&basis=due_date&edges=30,60,90,120"


def rows_of(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def finance_client(client):
    user = UserFactory(role=roles.FINANCE)
    client.force_login(user)
    client.user = user
    return client


def test_the_csv_has_a_row_per_customer_and_currency_totals(finance_client):
    """The worked example as of 03-31 (see test_aging.py): one customer row with the
    bucket figures, the unapplied credits and the net total; then the USD total and the
    total in the reporting currency (USD too)."""
    worked_example_book()
    response = finance_client.get(URL.format(report="aging", fmt="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ledgerline-aging-2026-03-31.csv"' in response["Content-Disposition"]
    header, customer, usd_total, reporting_total = rows_of(response)
    assert header == [
        "row_type", "currency", "account_id", "customer", "Current", "1–30", "31–60",
        "61–90", "91–120", "Over 120", "Unapplied credits", "Open total", "Net total",
    ]  # fmt: skip
    assert customer[0:2] == ["customer", "USD"] and customer[3] == "Acme Corp"
    assert customer[4:] == [
        "500.00", "1700.00", "400.00", "0.00", "0.00", "2000.00", "-900.00", "4600.00",
        "3700.00",
    ]  # fmt: skip
    assert usd_total[0] == "currency_total" and usd_total[-1] == "3700.00"
    assert reporting_total[0] == "reporting_total" and reporting_total[-1] == "3700.00"


def test_the_documents_csv_lists_each_open_document_with_days_past_due(finance_client):
    book = worked_example_book()
    response = finance_client.get(
        URL.format(report="aging_documents", fmt="csv") + f"&account={book.account.pk}"
    )
    header, *rows = rows_of(response)
    assert header[header.index("days_past_due")] == "days_past_due"
    by_reference = {row[3]: row for row in rows}
    d = by_reference[book.d.number]
    assert (d[2], d[7], d[8], d[13]) == ("invoice", "151", "Over 120", "2000.00")
    p1 = by_reference["WIRE-P1"]
    assert (p1[2], p1[8], p1[13]) == ("payment", "Unapplied credits", "-900.00")
    assert len(rows) == 5  # A, B, C, D and the unapplied payment


def test_the_xlsx_holds_parameters_and_numbers(finance_client):
    worked_example_book()
    response = finance_client.get(URL.format(report="aging", fmt="xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "AR aging as of 2026-03-31"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[2][:2] == ["Basis", "due date"]
    header_index = next(i for i, row in enumerate(values) if row[0] == "row_type")
    customer = values[header_index + 1]
    assert customer[3] == "Acme Corp"
    assert [Decimal(str(v)) for v in customer[4:]] == [
        Decimal(x) for x in ("500", "1700", "400", "0", "0", "2000", "-900", "4600", "3700")
    ]
    assert sheet.cell(row=header_index + 2, column=5).number_format == "#,##0.00"


def test_each_export_is_logged_with_user_report_parameters_and_row_count(finance_client):
    book = worked_example_book()
    finance_client.get(URL.format(report="aging", fmt="csv"))
    finance_client.get(
        URL.format(report="aging_documents", fmt="xlsx")
        + f"&currency=USD&account={book.account.pk}"
    )
    first, second = ExportLog.objects.order_by("pk")
    assert (first.user, first.report, first.file_format, first.row_count) == (
        finance_client.user, "aging", "csv", 1,
    )  # fmt: skip
    assert first.parameters == {
        "as_of": "2026-03-31", "basis": "due_date", "edges": [30, 60, 90, 120],
        "currency": "", "reporting_currency": "USD",
    }  # fmt: skip
    assert (second.report, second.file_format, second.row_count) == ("aging_documents", "xlsx", 5)
    assert second.parameters["currency"] == "USD"
    assert second.parameters["account"] == book.account.pk


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.FINANCE, True),
        (roles.AUDITOR, True),
        (roles.ADMIN, True),
        (roles.ORDER_SPECIALIST, False),
        (roles.DEAL_DESK, False),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_only_finance_auditor_and_admin_may_export(client, role, allowed, fmt):
    issued_invoice(AccountFactory(), "100.00", date(2026, 3, 1))
    client.force_login(UserFactory(role=role))
    response = client.get(URL.format(report="aging", fmt=fmt))
    assert response.status_code == (200 if allowed else 403)
    assert ExportLog.objects.count() == (1 if allowed else 0)


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL.format(report="aging", fmt="csv"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_bad_parameters_are_400_and_not_logged(finance_client):
    response = finance_client.get("/collections/aging/export/aging.csv?as_of=2026-03-31&edges=9,3")
    assert response.status_code == 400
    assert b"edges" in response.content
    assert finance_client.get("/collections/aging/export/aging.pdf").status_code == 404
    # Every customer's documents: an export job (test_export_jobs.py), not this request.
    every_document = finance_client.get(URL.format(report="aging_documents", fmt="csv"))
    assert every_document.status_code == 400 and b"/collections/exports/" in every_document.content
    assert not ExportLog.objects.exists()


def test_no_customer_data_reaches_the_application_log(finance_client, caplog):
    book = worked_example_book()
    with caplog.at_level(logging.DEBUG):
        response = finance_client.get(
            URL.format(report="aging_documents", fmt="csv") + f"&account={book.account.pk}"
        )
    assert response.status_code == 200
    assert caplog.records, "the export is logged (ids and counts)"
    assert "Acme" not in caplog.text
    assert "WIRE-P1" not in caplog.text


def test_cells_that_would_be_formulas_are_defused(finance_client):
    issued_invoice(AccountFactory(legal_name='=HYPERLINK("http://x")'), "10.00", date(2026, 3, 1))
    _, row, *_ = rows_of(finance_client.get(URL.format(report="aging", fmt="csv")))
    assert row[3] == '\'=HYPERLINK("http://x")'
    sheet = load_workbook(
        io.BytesIO(finance_client.get(URL.format(report="aging", fmt="xlsx")).content)
    ).active
    names = [c.value for c in sheet["D"]]
    assert '\'=HYPERLINK("http://x")' in names
