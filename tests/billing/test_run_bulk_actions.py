"""Issuing and sending a billing run's invoices in bulk from its page: each invoice once,
whatever is posted twice (a double click, a chunk re-posted)."""

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import BillingRun, Invoice, InvoiceDelivery
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles
from tests.factories import UserFactory, active_contract

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def run():
    for _ in range(3):
        active_contract()
    queued = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    return execute_billing_run(run=BillingRun.objects.get(pk=queued.pk))


@pytest.fixture
def specialist(client):
    user = UserFactory(role=roles.ORDER_SPECIALIST)
    client.force_login(user)
    return user


def _url(run, action):
    return reverse("billing:run_bulk_action", args=[run.pk, action])


def test_issue_all_drafts_of_a_run_issues_each_with_its_own_number(client, run, specialist):
    response = client.post(_url(run, "issue"), {"scope": "all"})
    assert response.status_code == 302
    invoices = Invoice.objects.filter(billing_run=run)
    assert {i.status for i in invoices} == {"issued"}
    assert len({i.number for i in invoices}) == 3


def test_a_double_submit_issues_each_invoice_once(client, run, specialist):
    ids = list(Invoice.objects.filter(billing_run=run).values_list("pk", flat=True)[:2])
    first = client.post(_url(run, "issue"), {"invoice": ids}, **JSON).json()
    numbers = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "number"))
    second = client.post(_url(run, "issue"), {"invoice": ids}, **JSON).json()
    assert sorted(first["done"]) == sorted(ids) and first["skipped"] == []
    assert second["done"] == [] and sorted(second["skipped"]) == sorted(ids)
    assert dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "number")) == numbers
    assert Invoice.objects.filter(billing_run=run, status="draft").count() == 1


def test_send_selected_e_mails_each_invoice_once(client, run, specialist):
    client.post(_url(run, "issue"), {"scope": "all"})
    invoice = Invoice.objects.filter(billing_run=run).first()
    first = client.post(_url(run, "send"), {"invoice": [invoice.pk]}, **JSON).json()
    again = client.post(_url(run, "send"), {"invoice": [invoice.pk]}, **JSON).json()
    assert first["done"] == [invoice.pk] and again["skipped"] == [invoice.pk]
    assert InvoiceDelivery.objects.filter(invoice=invoice).count() == 1
    assert len(mail.outbox) == 1


def test_sending_a_draft_is_refused_and_sends_nothing(client, run, specialist):
    draft = Invoice.objects.filter(billing_run=run).first()
    outcome = client.post(_url(run, "send"), {"invoice": [draft.pk]}, **JSON).json()
    assert outcome["done"] == [] and outcome["refused"][0]["invoice"] == draft.pk
    assert not InvoiceDelivery.objects.exists() and mail.outbox == []


def test_an_invoice_of_another_run_is_refused_and_left_a_draft(client, run, specialist):
    active_contract()
    other = queue_billing_run(run_date=date(2026, 1, 2), actor=None)
    other = execute_billing_run(run=BillingRun.objects.get(pk=other.pk))
    stranger = Invoice.objects.get(billing_run=other)
    outcome = client.post(_url(run, "issue"), {"invoice": [stranger.pk]}, **JSON).json()
    assert outcome["refused"] == [
        {"invoice": stranger.pk, "message": "Not an invoice of this run."}
    ]
    stranger.refresh_from_db()
    assert stranger.status == "draft"


def test_finance_may_not_issue_in_bulk_and_nothing_changes(client, run):
    client.force_login(UserFactory(role=roles.FINANCE))
    assert client.post(_url(run, "issue"), {"scope": "all"}).status_code == 403
    assert set(Invoice.objects.filter(billing_run=run).values_list("status", flat=True)) == {
        "draft"
    }


def test_the_run_page_offers_the_bulk_buttons_to_who_may_issue(client, run, specialist):
    page = client.get(reverse("billing:run_detail", args=[run.pk])).content.decode()
    assert 'id="issue-all"' in page and page.count('class="bulk-pick"') == 3
