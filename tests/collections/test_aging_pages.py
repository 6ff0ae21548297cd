"""The AR aging and DSO pages: who sees them, what they show."""

from datetime import date

import pytest

from ordermgmt import roles
from tests.collections.test_aging_book import fx, issued_invoice, worked_example_book
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
AGING = "/collections/aging/"


def login(client, role):
    client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.FINANCE, 200),
        (roles.AUDITOR, 200),
        (roles.ADMIN, 200),
        (roles.ORDER_SPECIALIST, 200),  # answers customers' questions; no exports
        (roles.DEAL_DESK, 403),
    ],
)
def test_who_may_open_the_aging(client, role, status):
    assert login(client, role).get(AGING).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [(roles.FINANCE, 200), (roles.AUDITOR, 200), (roles.ADMIN, 200),
     (roles.ORDER_SPECIALIST, 403), (roles.DEAL_DESK, 403)],
)  # fmt: skip
def test_who_may_open_dso(client, role, status):
    assert login(client, role).get("/collections/dso/").status_code == status


def test_the_aging_page_shows_buckets_credits_chart_and_drill_down_links(client):
    book = worked_example_book()
    html = login(client, roles.FINANCE).get(AGING + "?as_of=2026-03-31").content.decode()
    assert "AR aging" in html and "as of 31 Mar 2026" in html
    assert 'class="nav-ar-reports"' in html
    for text in ("1,700.00", "-900.00", "3,700.00", "Unapplied credits", "Over 120"):
        assert text in html
    assert "<svg" in html and 'id="bucket-chart"' in html
    assert f"/collections/aging/accounts/{book.account.pk}/?as_of=2026-03-31" in html
    assert 'id="export-csv"' in html
    assert "<script" not in html.split('id="bucket-chart"')[1].split("</figure>")[0]


def test_specialists_see_the_aging_without_export_links(client):
    worked_example_book()
    html = login(client, roles.ORDER_SPECIALIST).get(AGING + "?as_of=2026-03-31").content
    assert b"3,700.00" in html and b'id="export-csv"' not in html


def test_the_drill_down_lists_documents_with_days_past_due(client):
    book = worked_example_book()
    url = f"/collections/aging/accounts/{book.account.pk}/?as_of=2026-03-31&basis=due_date"
    html = login(client, roles.FINANCE).get(url).content.decode()
    assert "Acme Corp" in html
    for invoice in (book.a, book.b, book.c, book.d):
        assert invoice.number in html
    assert '<td class="num days">151</td>' in html  # D, over 120
    assert '<td class="num days">55</td>' in html  # A
    assert "WIRE-P1" in html and "-900.00" in html
    assert 'id="export-account-csv"' in html


def test_a_bad_parameter_is_shown_on_the_form(client):
    response = login(client, roles.FINANCE).get(AGING + "?as_of=2026-03-31&edges=60,30")
    assert response.status_code == 400
    assert b"Bucket edges must increase" in response.content


def test_a_missing_fx_rate_is_explained_on_the_page(client):
    issued_invoice(AccountFactory(), "100.00", date(2026, 3, 1))
    issued_invoice(AccountFactory(), "100.00", date(2026, 3, 1), currency="EUR")
    html = login(client, roles.FINANCE).get(AGING + "?as_of=2026-03-31").content.decode()
    assert 'id="missing-rate"' in html and "No USD rate for EUR" in html
    fx("EUR", "1.10", date(2026, 3, 1))
    html = client.get(AGING + "?as_of=2026-03-31").content.decode()
    assert "1 EUR = 1.1 USD (rate of 2026-03-01)" in html
    assert "All currencies in USD" in html


def test_the_dso_page_shows_figures_steps_and_the_trend_chart(client):
    worked_example_book()
    url = "/collections/dso/?start=2026-01-01&end=2026-03-31&method=countback"
    html = login(client, roles.FINANCE).get(url).content.decode()
    assert 'id="dso-value"' in html and 'id="dso-trend"' in html and "<polyline" in html
    assert 'id="countback-steps"' in html


def test_the_dso_page_refuses_a_reversed_period(client):
    response = login(client, roles.FINANCE).get("/collections/dso/?start=2026-03-01&end=2026-01-01")
    assert response.status_code == 400
    assert b"The period ends before it starts" in response.content
