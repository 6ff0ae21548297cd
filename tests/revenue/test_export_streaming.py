"""Revenue exports are streamed like the AR exports: the figures read back from the CSV
and the XLSX are the report's, and the memory an export takes does not grow with its
rows (tracemalloc peak for 10x the rows stays within a small factor)."""

import csv
import io
import tempfile
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from billing.revenue import exports
from billing.revenue.journal import HEADER, JournalLine
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.factories import UserFactory

from .helpers import activated, bill_and_issue, line, product

D = Decimal
QUERY = "as_of=2026-06-30&start=2026-01-01&currency=USD"


@pytest.fixture
def book():
    platform = product("12000", revenue_type=RevenueType.SUBSCRIPTION)
    contract = activated([line(platform, "12000")])
    bill_and_issue(date(2026, 1, 1))
    return contract


def download(client, path: str) -> bytes:
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.get(path)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # FileResponse is one too
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_streamed_csv_reads_back_with_the_reports_figures(client, book):
    body = download(client, f"/revenue/export/rollforward.csv?{QUERY}")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    header, first, total = rows[0], rows[1], rows[-1]
    assert first[0] == book.reference and total[0] == "Total"
    by_name = dict(zip(header, total, strict=True))
    # Billed 12,000.00 on 1 January; recognised 181 of 365 days by 30 June.
    assert by_name["Billed"] == "12000.00"
    assert by_name["Recognised"] == "5950.68"
    assert by_name["Closing balance"] == "6049.32"


@pytest.mark.django_db
def test_the_streamed_xlsx_reads_back_with_numbers_formats_and_bold_totals(client, book):
    body = download(client, f"/revenue/export/rollforward.xlsx?{QUERY}")
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet["A1"].value.startswith("Deferred revenue roll-forward (USD)")
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A4"
    header = [c.value for c in sheet[3]]
    first = sheet[4]
    total = sheet[sheet.max_row]
    billed = header.index("Billed")
    assert first[0].value == book.reference
    assert total[0].value == "Total" and total[0].font.bold
    assert D(str(total[billed].value)) == D("12000.00")
    assert total[billed].number_format == "#,##0.00"


def journal_lines(count: int):
    """`count` synthetic journal lines, made one at a time (not held by the caller)."""
    day = date(2026, 1, 1)
    for n in range(count):
        yield JournalLine(
            f"REV-{n:07d}", day + timedelta(days=n % 365), "USD", "4000",
            "Subscription revenue", D("1234.56") + n, None, "Revenue recognised", "",
            f"Customer {n % 97}", f"C-{n:07d}", "Platform", "revenue",
        )  # fmt: skip


def journal(count: int) -> exports.Table:
    rows = (line.cells() for line in journal_lines(count))
    return exports.Table("Revenue journal", list(HEADER), rows, None, count)


def peak_bytes(file_format: str, count: int) -> int:
    """The peak of Python memory while writing `count` rows (the XLSX goes to a file on
    disk, as the view's does; CSV chunks are counted and dropped, as a server sends them)."""
    table = journal(count)
    with tempfile.TemporaryFile() as scratch:
        tracemalloc.start()
        try:
            if file_format == "csv":
                assert sum(len(chunk) for chunk in exports.csv_chunks(table)) > count * 80
            else:
                exports.write_xlsx_to(table, scratch)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exports_memory_does_not_grow_with_its_rows(file_format):
    small = peak_bytes(file_format, 1_000)
    large = peak_bytes(file_format, 10_000)
    assert large < 2 * small, (file_format, small, large)


def test_the_csv_goes_out_in_chunks_of_rows_with_the_header_first():
    table = journal(1_200)
    chunks = list(exports.csv_chunks(table))
    assert len(chunks) == 3  # 500 + 500 + 200 rows
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert rows[0] == HEADER and len(rows) == 1_201
    assert rows[-1][5] == "2433.56"  # 1,234.56 + 1,199
