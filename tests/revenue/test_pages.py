"""Revenue pages and exports: role checks, inline SVG charts, logged CSV/XLSX exports and
the journal CSV layout."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from billing.revenue.journal import HEADER
from collections_app.models import ExportLog
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.factories import UserFactory

from .helpers import activated, bill_and_issue, line, product

pytestmark = pytest.mark.django_db
OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)
QUERY = "as_of=2026-06-30&start=2026-01-01&currency=USD"


@pytest.fixture
def book():
    platform = product("12000", revenue_type=RevenueType.SUBSCRIPTION, name="=HYPERLINK(1)")
    contract = activated([line(platform, "12000")])
    bill_and_issue(date(2026, 1, 1))
    return contract


def body(response) -> bytes:
    """The whole file of an export (exports are streamed)."""
    return b"".join(response.streaming_content)


def as_role(client, role):
    client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize("role", [OS, DD, FIN, AUD, ADM])
def test_the_pages_are_for_finance_auditors_and_admins(client, book, role):
    as_role(client, role)
    for path in [
        "/revenue/",
        "/revenue/roll-forward/",
        "/revenue/balances/",
        f"/revenue/contracts/{book.pk}/",
    ]:
        response = client.get(f"{path}?{QUERY}")
        assert response.status_code == (200 if role in {FIN, AUD, ADM} else 403), (role, path)


def test_the_waterfall_page_draws_an_inline_svg_chart(client, book):
    page = as_role(client, FIN).get(f"/revenue/?{QUERY}").content.decode()
    assert "<svg" in page and 'id="waterfall-chart"' in page
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert book.reference in page and "1,019.18" in page  # 31 of 365 days of 12,000
    assert 'class="nav-revenue"' in page


def test_the_roll_forward_page_shows_the_bridge(client, book):
    page = as_role(client, AUD).get(f"/revenue/roll-forward/?{QUERY}").content.decode()
    assert 'id="rollforward-chart"' in page and "12,000.00" in page


def test_the_contract_page_reconciles_the_balance_to_the_invoices(client, book):
    page = (
        as_role(client, FIN).get(f"/revenue/contracts/{book.pk}/?as_of=2026-06-30").content.decode()
    )
    assert 'id="reconciliation"' in page and "= balance" in page


@pytest.mark.parametrize("report", ["waterfall", "rollforward", "balances", "journal"])
def test_csv_exports_are_logged_and_safe(client, book, report):
    user = as_role(client, AUD).get("/").wsgi_request.user
    response = client.get(f"/revenue/export/{report}.csv?{QUERY}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    log = ExportLog.objects.get()
    assert (log.user, log.report, log.file_format) == (user, f"revenue_{report}", "csv")
    assert log.parameters["currency"] == "USD" and log.row_count >= 1
    flat = [cell for row in rows for cell in row]
    assert not any(cell.startswith("=") for cell in flat)
    if report == "journal":
        assert rows[0] == HEADER


def test_xlsx_export_opens_with_numbers(client, book):
    response = as_role(client, FIN).get(f"/revenue/export/waterfall.xlsx?{QUERY}")
    sheet = load_workbook(io.BytesIO(body(response))).active
    assert sheet["A1"].value.startswith("Revenue waterfall (USD)")
    assert ExportLog.objects.get().file_format == "xlsx"


@pytest.mark.parametrize("role", [OS, DD])
def test_exports_are_refused_to_other_roles_and_not_logged(client, book, role):
    response = as_role(client, role).get(f"/revenue/export/journal.csv?{QUERY}")
    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_finance_records_a_delivery_on_the_contract_page(client):
    workshop = product("500", revenue_type=RevenueType.PROFESSIONAL_SERVICES)
    contract = activated([line(workshop, "500")])
    obligation = contract.performance_obligations.get()
    response = as_role(client, FIN).post(
        f"/revenue/contracts/{contract.pk}/deliveries/",
        {
            "obligation": obligation.pk,
            "delivered_on": "2026-02-02",
            "kind": "delivery",
            "reference": "WS-1",
        },
    )
    assert response.status_code == 302
    assert obligation.deliveries.count() == 1


def test_the_contract_page_reads_obligations_in_a_fixed_number_of_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(products: int) -> int:
        made = [
            product(
                "500", revenue_type=RevenueType.PROFESSIONAL_SERVICES, name=f"Svc {products}-{i}"
            )
            for i in range(products)
        ]
        contract = activated([line(p, "500") for p in made])
        assert contract.performance_obligations.count() == products
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/revenue/contracts/{contract.pk}/?as_of=2026-06-30")
        assert response.status_code == 200
        return len(captured)

    as_role(client, FIN)
    assert queries_for(1) == queries_for(3)
