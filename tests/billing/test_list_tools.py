"""Invoice and payment lists: one FilterSet for the page, the API and the CSV; sortable
columns; the CSV streamed, permissioned and logged in the one export log."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from collections_app.models import ExportLog
from ordermgmt import roles
from tests.billing.helpers import pay
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def _login(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def book():
    north = AccountFactory(legal_name="Northwind Traders")
    contoso = AccountFactory(legal_name="Contoso GmbH")
    invoices = [
        IssuedInvoiceFactory(account=north, total="300.00", invoice_date=date(2026, 1, 5)),
        IssuedInvoiceFactory(account=north, total="100.00", invoice_date=date(2026, 1, 6)),
        IssuedInvoiceFactory(account=contoso, total="200.00", invoice_date=date(2026, 1, 7)),
    ]
    payments = [
        pay(north, "50.00", reference="WIRE-A", received_date=date(2026, 1, 20)),
        pay(contoso, "70.00", reference="WIRE-B", received_date=date(2026, 1, 21)),
    ]
    return north, contoso, invoices, payments


def test_the_invoice_csv_holds_exactly_the_filtered_list_and_is_logged(client, book):
    north, _, invoices, _ = book
    user = _login(client, roles.FINANCE)
    response = client.get(reverse("billing:invoice_export"), {"account": "northwind"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert sorted(r["number"] for r in rows) == sorted(i.number for i in invoices[:2])
    assert {r["total"] for r in rows} == {"300.00", "100.00"}
    log = ExportLog.objects.get()
    assert (log.user, log.report, log.file_format, log.row_count) == (user, "invoices", "csv", 2)
    assert log.parameters == {"account": "northwind"}


def test_the_page_and_its_csv_list_the_same_invoices_in_the_same_sorted_order(client, book):
    _login(client, roles.FINANCE)
    params = {"sort": "-total"}
    page = client.get(reverse("billing:invoice_list"), params)
    listed = [row.invoice.number for row in page.context["rows"]]
    exported = [r["number"] for r in _csv(client.get(reverse("billing:invoice_export"), params))]
    assert listed == exported
    totals = [row.invoice.total_amount for row in page.context["rows"]]
    assert totals == [Decimal("300.00"), Decimal("200.00"), Decimal("100.00")]
    assert 'aria-sort="descending"' in page.content.decode()


def test_a_role_without_the_export_right_is_refused_the_csv_and_nothing_is_logged(client, book):
    _login(client, roles.ORDER_SPECIALIST)
    assert client.get(reverse("billing:invoice_export")).status_code == 403
    assert client.get(reverse("billing:payment_export")).status_code == 403
    assert not ExportLog.objects.exists()
    assert "invoice-export" not in client.get(reverse("billing:invoice_list")).content.decode()


def test_the_payment_csv_follows_the_page_filters_and_is_logged(client, book):
    _login(client, roles.FINANCE)
    rows = _csv(client.get(reverse("billing:payment_export"), {"q": "WIRE-B"}))
    assert [(r["reference"], r["amount"], r["unapplied"]) for r in rows] == [
        ("WIRE-B", "70.00", "70.00")
    ]
    assert ExportLog.objects.get().report == "payments"


def test_the_api_and_the_page_read_the_same_filter_names(client, book):
    north, _, invoices, payments = book
    _login(client, roles.FINANCE)
    api = client.get("/api/v1/invoices/", {"account": "northwind", "sort": "-total"})
    assert [i["number"] for i in api.json()["results"]] == [invoices[0].number, invoices[1].number]
    api = client.get("/api/v1/invoices/", {"account": north.pk, "settlement": "unpaid"})
    assert api.json()["count"] == 2
    api = client.get("/api/v1/payments/", {"unapplied": "true", "account": "contoso"})
    assert [p["reference"] for p in api.json()["results"]] == ["WIRE-B"]


def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_stays_text(client):
    account = AccountFactory(legal_name="=HYPERLINK(1)")
    IssuedInvoiceFactory(account=account)
    _login(client, roles.FINANCE)
    (row,) = _csv(client.get(reverse("billing:invoice_export")))
    assert row["account"] == "'=HYPERLINK(1)"


def test_the_csv_answers_without_counting_the_list_first(client, book):
    user = _login(client, roles.FINANCE)
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(reverse("billing:invoice_export"))
    assert response.status_code == 200
    assert not [sql for sql in queries if "COUNT(" in sql.upper()]
    # Logged before the first byte; the count is of the rows sent, set when the stream ends.
    assert ExportLog.objects.get().user == user
    assert len(_csv(response)) == 3
    assert ExportLog.objects.get().row_count == 3


# Closing the response ends the request, which closes the database connection: a test
# inside one transaction could not go on after it.
@pytest.mark.django_db(transaction=True)
def test_a_csv_download_stopped_early_logs_the_rows_it_sent(client, book):
    _login(client, roles.FINANCE)
    response = client.get(reverse("billing:invoice_export"))
    lines = iter(response.streaming_content)
    next(lines)  # the header
    next(lines)  # one invoice
    response.close()  # the client went away; the server closes the response
    assert ExportLog.objects.get().row_count == 1
