"""The billing run page shows its invoices one page at a time (issue 20), while "issue all
drafts" still issues every draft of the run, and its query count does not grow with the
run."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import BillingRun, Invoice
from billing.selectors import runs as run_selectors
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles
from tests.factories import UserFactory, active_contract

pytestmark = pytest.mark.django_db


def a_run(contracts: int) -> BillingRun:
    for _ in range(contracts):
        active_contract()
    queued = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    return execute_billing_run(run=BillingRun.objects.get(pk=queued.pk))


@pytest.fixture
def specialist(client):
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    return client


@pytest.fixture
def two_per_page(monkeypatch):
    monkeypatch.setattr(run_selectors, "RUN_INVOICES_PER_PAGE", 2)


def shown(response) -> list[int]:
    return [row.invoice.pk for row in response.context["summary"].invoices]


def test_the_run_page_shows_its_invoices_a_page_at_a_time(specialist, two_per_page):
    run = a_run(3)
    url = reverse("billing:run_detail", args=[run.pk])
    ids = list(Invoice.objects.filter(billing_run=run).order_by("id").values_list("pk", flat=True))
    first, second = specialist.get(url), specialist.get(f"{url}?page=2")
    assert shown(first) == ids[:2] and shown(second) == ids[2:]
    assert first.context["summary"].invoice_counts == {"draft": 3}
    assert "Page 1 of 2" in first.content.decode()


def test_issue_all_drafts_issues_every_draft_not_only_the_page_shown(specialist, two_per_page):
    run = a_run(3)
    assert len(shown(specialist.get(reverse("billing:run_detail", args=[run.pk])))) == 2
    specialist.post(reverse("billing:run_bulk_action", args=[run.pk, "issue"]), {"scope": "all"})
    statuses = Invoice.objects.filter(billing_run=run).values_list("status", flat=True)
    assert list(statuses) == ["issued"] * 3


def test_the_all_button_gets_every_draft_id_of_the_run(specialist, two_per_page):
    run = a_run(3)
    body = specialist.get(reverse("billing:run_bulk_ids", args=[run.pk, "issue"])).json()
    drafts = Invoice.objects.filter(billing_run=run).order_by("invoice_date", "id")
    assert body["invoices"] == list(drafts.values_list("pk", flat=True))
    assert specialist.get(reverse("billing:run_bulk_ids", args=[run.pk, "send"])).json() == {
        "invoices": []
    }


def test_the_ids_of_an_unknown_bulk_action_are_not_found(specialist):
    run = a_run(1)
    assert specialist.get(reverse("billing:run_bulk_ids", args=[run.pk, "void"])).status_code == 404


def page_queries(client, run) -> int:
    url = reverse("billing:run_detail", args=[run.pk])
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_run_page_runs_as_many_queries_for_a_larger_run(specialist, two_per_page):
    small = a_run(3)
    large = a_run(6)
    assert Invoice.objects.filter(billing_run=large).count() == 6
    assert page_queries(specialist, small) == page_queries(specialist, large)
