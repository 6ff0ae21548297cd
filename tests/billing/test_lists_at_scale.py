"""Lists that stay fast on a large book (issue 20): estimated counts above a threshold,
totals on request, `page_size` up to a maximum, indexed search with exact and prefix
number matches first, the CSV still whole, and a query count that does not grow with rows.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.filters import InvoiceFilter, PaymentFilter
from billing.models import Invoice, Payment
from billing.search.indexes import AMOUNT_INDEXES
from core import pagination
from core.admin_lists import CurrencyListFilter
from core.filters import currencies_in_use
from ordermgmt import roles
from tests.billing.helpers import issued_invoices, pay
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db

FIN, AUD = roles.FINANCE, roles.AUDITOR


def login(client, role=FIN):
    client.force_login(UserFactory(role=role))
    return client


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_invoice")
        cursor.execute("ANALYZE billing_payment")


@pytest.fixture
def long_lists(monkeypatch):
    """Every list counts as long (estimated) from one row on: the behaviour a book of a
    million invoices gets, on a handful of rows."""
    monkeypatch.setattr(pagination, "ESTIMATE_ABOVE", 0)


def book(n: int, first: int = 0) -> list[Invoice]:
    """n issued invoices, a day apart from day `first` of 2026, over n accounts (two
    currencies)."""
    return [
        IssuedInvoiceFactory(
            account=AccountFactory(legal_name=f"Customer {i}"),
            invoice_date=date(2026, 1, 1) + timedelta(days=i),
            currency="EUR" if i % 2 else "USD",
        )
        for i in range(first, first + n)
    ]


# --- Counting -------------------------------------------------------------------------------


def test_a_short_list_is_counted_exactly_and_shows_its_totals(client):
    book(3)
    response = login(client).get(reverse("billing:invoice_list"))
    paginator = response.context["page"].paginator
    assert (paginator.count, paginator.estimated) == (3, False)
    html = response.content.decode()
    assert 'id="currency-totals"' in html and "about 3" not in html
    assert 'id="show-totals"' not in html


def test_a_long_list_says_about_n_and_shows_totals_only_when_asked(client, long_lists):
    book(4)
    analyze()
    url = reverse("billing:invoice_list")
    response = login(client).get(url)
    paginator = response.context["page"].paginator
    assert paginator.estimated and paginator.count == 4  # ANALYZE: the estimate is exact
    html = response.content.decode()
    assert "about 4 invoices match" in html
    assert 'id="show-totals"' in html and 'id="currency-totals"' not in html
    assert response.context["totals"] is None
    asked = client.get(url, {"totals": "1"})
    assert [t.currency for t in asked.context["totals"]] == ["EUR", "USD"]
    assert 'id="currency-totals"' in asked.content.decode()


def test_the_api_says_when_its_count_is_an_estimate(client, long_lists):
    book(2)
    analyze()
    response = login(client).get("/api/v1/invoices/")
    assert response["X-Count-Estimated"] == "true" and response.json()["count"] == 2


def test_the_api_count_of_a_short_list_is_exact_and_unmarked(client):
    book(2)
    response = login(client).get("/api/v1/invoices/")
    assert response.json()["count"] == 2 and not response.has_header("X-Count-Estimated")


def test_the_csv_of_a_long_list_still_has_every_row(client, long_lists):
    book(5)
    analyze()
    response = login(client).get(reverse("billing:invoice_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(body)))) == 5


# --- API page size --------------------------------------------------------------------------


def test_the_api_honours_page_size(client):
    book(3)
    body = login(client).get("/api/v1/invoices/", {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2) and body["next"]


def test_a_page_size_above_the_maximum_is_lowered_to_it(rf):
    from rest_framework.request import Request

    request = Request(rf.get("/api/v1/invoices/", {"page_size": "100000"}))
    assert pagination.ListPagination().get_page_size(request) == pagination.API_MAX_PAGE_SIZE


def test_the_schema_documents_page_size_and_its_maximum(client):
    schema = login(client).get("/api/v1/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert "at most 500" in page_size["description"]
    assert any(p["name"] == "lines" for p in parameters)


def test_the_invoice_list_api_leaves_lines_out_when_asked(client):
    book(2)
    login(client)
    full = client.get("/api/v1/invoices/").json()["results"][0]
    summary = client.get("/api/v1/invoices/", {"lines": "false"}).json()["results"][0]
    assert len(full["lines"]) == 1 and "lines" not in summary
    assert summary["number"] == full["number"]
    detail = client.get(f"/api/v1/invoices/{full['id']}/", {"lines": "false"}).json()
    assert len(detail["lines"]) == 1  # the detail always has them


# --- Search ---------------------------------------------------------------------------------


def test_search_puts_the_exact_number_first_then_the_rest_in_number_order(client):
    # Issued first, so its number is lower: it matches by its account's name only.
    named = IssuedInvoiceFactory(account=AccountFactory(legal_name="Acme INV-2026-000002"))
    exact = IssuedInvoiceFactory()
    assert exact.number == "INV-2026-000002"
    response = login(client).get(reverse("billing:invoice_list"), {"q": "inv-2026-000002"})
    listed = [row.invoice.pk for row in response.context["rows"]]
    assert listed == [exact.pk, named.pk]


def test_search_puts_numbers_that_start_with_the_term_before_other_matches(client):
    invoices = [IssuedInvoiceFactory() for _ in range(11)]  # INV-2026-000001 .. 000011
    login(client)
    response = client.get(reverse("billing:invoice_list"), {"q": "INV-2026-00001"})
    listed = [row.invoice.number for row in response.context["rows"]]
    assert listed == ["INV-2026-000010", "INV-2026-000011"]
    response = client.get(reverse("billing:invoice_list"), {"q": "0001"})
    listed = [row.invoice.number for row in response.context["rows"]]
    assert listed == sorted(i.number for i in invoices if "0001" in i.number)


def test_a_chosen_sort_wins_over_the_search_ranking(client):
    first, second = IssuedInvoiceFactory(), IssuedInvoiceFactory()
    response = login(client).get(
        reverse("billing:invoice_list"), {"q": first.number, "sort": "-number"}
    )
    assert [row.invoice.pk for row in response.context["rows"]] == [first.pk]
    response = client.get(reverse("billing:invoice_list"), {"q": "INV-2026", "sort": "-number"})
    assert [row.invoice.pk for row in response.context["rows"]] == [second.pk, first.pk]


def test_a_term_matching_more_than_the_ranking_bound_lists_newest_first(client, monkeypatch):
    invoices = book(3)  # INV-2026-000001 .. 000003, a day apart
    analyze()
    login(client)
    ranked = client.get(reverse("billing:invoice_list"), {"q": "INV-2026"})
    assert [row.invoice.pk for row in ranked.context["rows"]] == [i.pk for i in invoices]
    # As if the whole book matched: ranking would sort every match before the first page.
    monkeypatch.setattr("billing.filters.RANK_MATCHES_UP_TO", 0)
    for url in (reverse("billing:invoice_list"), "/api/v1/invoices/"):
        response = client.get(url, {"q": "INV-2026"})
        rows = response.context["rows"] if url.startswith("/billing") else None
        listed = (
            [r.invoice.pk for r in rows] if rows else [r["id"] for r in response.json()["results"]]
        )
        assert listed == [i.pk for i in reversed(invoices)]


def test_the_admin_search_finds_by_number_part_and_account_name(client):
    wanted = IssuedInvoiceFactory(account=AccountFactory(legal_name="Globex Corporation"))
    IssuedInvoiceFactory(account=AccountFactory(legal_name="Contoso"))
    login(client, AUD)
    url = reverse("admin:billing_invoice_changelist")
    for term in ["globex", wanted.number[-6:]]:
        assert list(client.get(url, {"q": term}).context["cl"].result_list) == [wanted], term


def test_currencies_in_use_are_read_distinct_and_sorted():
    book(3)
    assert currencies_in_use(Invoice) == ["EUR", "USD"]


def test_every_admin_currency_filter_reads_an_index_that_starts_with_the_currency():
    # Without one, the loose index scan of currencies_in_use reads the whole table once
    # per currency (the credit note changelist at 1M, before its index).
    filtered = [
        model
        for model, model_admin in admin.site._registry.items()
        if any(isinstance(f, tuple) and f[1] is CurrencyListFilter for f in model_admin.list_filter)
    ]
    assert {m._meta.model_name for m in filtered} >= {"invoice", "payment", "creditnote"}
    for model in filtered:
        leading = [index.fields[0].lstrip("-") for index in model._meta.indexes]
        assert "currency" in leading, model._meta.label


@pytest.mark.parametrize("filterset", [InvoiceFilter, PaymentFilter])
def test_every_sort_of_the_invoice_and_payment_lists_reads_an_index(filterset):
    # Otherwise one page sorted by that column orders the whole table (5 s at 1M invoices
    # for a sort by number or due date, before their indexes).
    model = filterset._meta.model
    leading = {index.fields[0].lstrip("-") for index in model._meta.indexes}
    leading |= {column for _, table, column in AMOUNT_INDEXES if table == model._meta.db_table}
    sorts = filterset.base_filters["sort"].param_map
    own_columns = [field for field in sorts.values() if "__" not in field]
    assert own_columns and all(field in leading for field in own_columns), own_columns


# --- Query counts ---------------------------------------------------------------------------


def _queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


LIST_URLS = [
    ("/api/v1/invoices/", None),
    ("/api/v1/invoices/", {"lines": "false"}),
    ("/api/v1/payments/", None),
    ("admin:billing_invoice_changelist", None),
    ("admin:billing_payment_changelist", None),
    ("billing:invoice_list", None),
    ("billing:invoice_list", {"q": "Customer"}),
    ("billing:payment_list", None),
    ("contract_list", None),
    ("customer_list", None),
]


@pytest.mark.parametrize(("url", "params"), LIST_URLS)
def test_a_list_runs_the_same_number_of_queries_at_two_sizes(client, url, params):
    url = url if url.startswith("/") else reverse(url)
    login(client, roles.ADMIN)
    for invoice in book(2):
        pay(invoice.account, "10.00", reference=f"W-{invoice.pk}")
    small = _queries(client, url, params)
    for invoice in book(6, first=2):
        pay(invoice.account, "10.00", reference=f"W-{invoice.pk}")
    assert Payment.objects.count() == 8
    assert _queries(client, url, params) == small


def test_the_payment_search_matches_the_start_of_the_reference(client):
    account = AccountFactory()
    issued_invoices(account)
    pay(account, "5.00", reference="CHK-100")
    pay(account, "5.00", reference="WIRE-CHK")
    response = login(client).get(reverse("billing:payment_list"), {"q": "chk"})
    assert [row.payment.reference for row in response.context["rows"]] == ["CHK-100"]
