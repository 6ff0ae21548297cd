"""Resolving a billing run's exception: through a service that records who, when and how."""

import re
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from billing.models import BillingRun, BillingRunException
from billing.services import execute_billing_run, queue_billing_run, resolve_run_exception
from core.errors import DomainValidationError
from ordermgmt import roles
from ordermgmt.models import Contract
from tests.factories import UserFactory, active_contract

pytestmark = pytest.mark.django_db


def held_exception() -> BillingRunException:
    """A run that skipped one contract on billing hold: its exception, still open."""
    contract = active_contract()
    Contract.objects.filter(pk=contract.pk).update(billing_hold=True)
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return BillingRunException.objects.get(billing_run=run)


def text(response) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def unchanged(exception: BillingRunException) -> bool:
    exception.refresh_from_db()
    return (
        not exception.resolved
        and exception.resolved_by is None
        and exception.resolved_at is None
        and exception.resolution_note == ""
    )


@freeze_time("2026-01-02 09:30:00")
def test_resolving_records_who_resolved_it_when_and_how(client, specialist):
    exception = held_exception()
    client.force_login(specialist)
    response = client.post(
        reverse("billing:exception_resolve", args=[exception.pk]),
        {"resolution_note": "  Hold lifted by the deal desk; billed next run.  "},
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.resolved
    assert exception.resolved_by == specialist
    assert exception.resolved_at == datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    assert exception.resolution_note == "Hold lifted by the deal desk; billed next run."


def test_the_run_page_shows_who_resolved_an_exception_when_and_the_note(client, specialist):
    exception = held_exception()
    with freeze_time("2026-01-02 09:30:00"):
        resolve_run_exception(exception=exception, actor=specialist, resolution_note="Hold lifted.")
    client.force_login(specialist)
    page = text(client.get(reverse("billing:run_detail", args=[exception.billing_run_id])))
    assert "Exceptions 0 open of 1" in page
    assert f"Resolved by {specialist.username}, 2 Jan 2026" in page
    assert "Hold lifted." in page


def test_an_empty_note_is_refused_and_changes_nothing(client, specialist):
    exception = held_exception()
    with pytest.raises(DomainValidationError) as err:
        resolve_run_exception(exception=exception, actor=specialist, resolution_note="   ")
    assert (err.value.field, err.value.code) == ("resolution_note", "required")
    assert unchanged(exception)


def test_the_run_page_shows_the_missing_note_next_to_its_box(client, specialist):
    exception = held_exception()
    client.force_login(specialist)
    response = client.post(
        reverse("billing:exception_resolve", args=[exception.pk]), {"resolution_note": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="resolution-error-{exception.pk}"' in html
    assert 'aria-invalid="true"' in html
    assert "Say how the exception was resolved." in text(response)
    assert unchanged(exception)


def test_resolving_twice_is_refused_and_keeps_the_first_resolution(client, specialist, role_user):
    exception = held_exception()
    first = resolve_run_exception(exception=exception, actor=specialist, resolution_note="Fixed.")
    other = role_user(roles.ORDER_SPECIALIST)
    with pytest.raises(DomainValidationError) as err:
        resolve_run_exception(exception=exception, actor=other, resolution_note="Me too.")
    assert err.value.code == "already_resolved"
    exception.refresh_from_db()
    assert (exception.resolved_by, exception.resolved_at, exception.resolution_note) == (
        specialist,
        first.resolved_at,
        "Fixed.",
    )


def test_a_second_resolve_through_the_page_says_so_and_changes_nothing(client, specialist):
    exception = held_exception()
    resolve_run_exception(exception=exception, actor=specialist, resolution_note="Fixed.")
    client.force_login(specialist)
    response = client.post(
        reverse("billing:exception_resolve", args=[exception.pk]),
        {"resolution_note": "Again."},
        follow=True,
    )
    assert "was already resolved" in text(response)
    exception.refresh_from_db()
    assert exception.resolution_note == "Fixed."


@pytest.mark.parametrize("role", [roles.FINANCE, roles.AUDITOR, roles.DEAL_DESK])
def test_a_role_without_the_permission_gets_403_and_nothing_changes(client, role_user, role):
    exception = held_exception()
    client.force_login(role_user(role))
    response = client.post(
        reverse("billing:exception_resolve", args=[exception.pk]),
        {"resolution_note": "Not mine to resolve."},
    )
    assert response.status_code == 403
    assert unchanged(exception)


def test_after_resolving_the_page_goes_back_only_to_a_page_of_this_site(client, specialist):
    exception = held_exception()
    client.force_login(specialist)
    response = client.post(
        reverse("billing:exception_resolve", args=[exception.pk]),
        {"resolution_note": "Fixed.", "next": "https://evil.example/"},
    )
    assert response.url == reverse("billing:run_detail", args=[exception.billing_run_id])


def test_the_api_lists_and_resolves_exceptions_through_the_service(client):
    exception = held_exception()
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    url = f"/api/v1/billing-run-exceptions/{exception.pk}/resolve/"
    refused = client.post(url, {"resolution_note": ""}, content_type="application/json")
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == ("resolution_note", "required")
    listed = client.get("/api/v1/billing-run-exceptions/?resolved=false").json()
    assert [row["id"] for row in listed["results"]] == [exception.pk]
    done = client.post(url, {"resolution_note": "Hold lifted"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["resolved"] is True
    assert done.json()["resolution_note"] == "Hold lifted"
    client.force_login(UserFactory(role=roles.AUDITOR))
    again = client.post(url, {"resolution_note": "x"}, content_type="application/json")
    assert again.status_code == 403
