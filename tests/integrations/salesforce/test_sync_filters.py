"""The sync issues and sync runs pages and the API list the same rows for the same filter
parameters: one FilterSet each (integrations/salesforce/filters.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.salesforce.models import (
    IssueKind,
    IssueStatus,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from ordermgmt import roles
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    return client


@pytest.fixture
def issues(db):
    first, second = (SyncRun.objects.create(status=SyncRunStatus.SUCCEEDED) for _ in range(2))
    account = AccountFactory(legal_name="Globex Filtering Ltd")

    def issue(kind, sf_object, sf_id, **extra):
        return SyncIssue.objects.create(
            kind=kind, sf_object=sf_object, sf_id=sf_id, code=f"{kind}_code", **extra
        )

    made = [
        issue(
            IssueKind.CONFLICT,
            "Account",
            "001A",
            account=account,
            first_run=first,
            last_run=second,
            field="Name",
        ),
        issue(IssueKind.BAD_RECORD, "Opportunity", "006B", first_run=second, last_run=second),
        issue(IssueKind.DELETED, "Opportunity", "006C", first_run=first, last_run=first),
        issue(IssueKind.CONFLICT, "Opportunity", "006D", account=account),
    ]
    SyncIssue.objects.filter(pk=made[3].pk).update(status=IssueStatus.RESOLVED)
    return {"first": first, "second": second, "account": account, "issues": made}


def _page_ids(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200
    return [row.pk for row in response.context["page"].object_list]


def _api_ids(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"status": ""}, 4),
        ({"status": "open"}, 3),
        ({"status": "resolved"}, 1),
        ({"status": "", "kind": "conflict"}, 2),
        ({"status": "", "sf_object": "Opportunity"}, 3),
        ({"status": "", "q": "globex"}, 2),
        ({"status": "", "q": "006"}, 3),
        ({"status": "", "sf_id": "006C"}, 1),
        ({"status": "open", "run": "FIRST"}, 2),
        ({"status": "", "last_run": "SECOND"}, 2),
        ({"status": "", "account": "ACCOUNT"}, 2),
        ({"status": "", "seen_from": "2000-01-01", "seen_to": "2999-12-31"}, 4),
        ({"status": "", "seen_to": "2000-01-01"}, 0),
    ],
)
def test_the_issues_page_and_the_api_list_the_same_issues_for_the_same_filters(
    finance, issues, params, count
):
    ids = {
        "FIRST": issues["first"].pk,
        "SECOND": issues["second"].pk,
        "ACCOUNT": issues["account"].pk,
    }
    params = {key: ids.get(value, value) for key, value in params.items()}

    page = _page_ids(finance, reverse("salesforce_sync:issue_list"), params)
    api = _api_ids(finance, "/api/v1/salesforce/sync-issues/", params)

    assert page == api
    assert len(page) == count


def test_the_run_filter_finds_issues_first_or_last_seen_in_that_run(finance, issues):
    first, second = issues["first"], issues["second"]
    conflict, bad, deleted, _ = issues["issues"]

    in_first = _api_ids(finance, "/api/v1/salesforce/sync-issues/", {"run": first.pk})
    in_second = _page_ids(finance, reverse("salesforce_sync:issue_list"), {"run": second.pk})

    assert sorted(in_first) == sorted([conflict.pk, deleted.pk])
    assert sorted(in_second) == sorted([conflict.pk, bad.pk])


def test_the_issues_page_shows_open_issues_unless_a_status_is_chosen(finance, issues):
    url = reverse("salesforce_sync:issue_list")
    resolved = issues["issues"][3]

    default = _page_ids(finance, url, {})
    second_page = _page_ids(finance, url, {"page": "1"})
    every = _page_ids(finance, url, {"status": ""})

    assert resolved.pk not in default and resolved.pk not in second_page
    assert len(default) == 3 and default == second_page
    assert resolved.pk in every and len(every) == 4


def test_the_issues_api_refuses_an_unknown_status_naming_the_parameter(finance, issues):
    response = finance.get("/api/v1/salesforce/sync-issues/", {"status": "closed"})

    assert response.status_code == 400
    assert response.json()["field"] == "status"


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({}, 3),
        ({"status": "failed"}, 1),
        ({"trigger": "schedule"}, 2),
        ({"status": "succeeded", "trigger": "manual"}, 1),
        ({"created_from": "2000-01-01"}, 3),
        ({"created_to": "2000-01-01"}, 0),
    ],
)
def test_the_runs_page_and_the_api_list_the_same_runs_for_the_same_filters(finance, params, count):
    SyncRun.objects.create(status=SyncRunStatus.SUCCEEDED, trigger=SyncTrigger.MANUAL)
    SyncRun.objects.create(status=SyncRunStatus.FAILED, trigger=SyncTrigger.SCHEDULE)
    SyncRun.objects.create(status=SyncRunStatus.SUCCEEDED, trigger=SyncTrigger.SCHEDULE)

    response = finance.get(reverse("salesforce_sync:run_list"), params)
    page = [run.pk for run in response.context["runs"]]
    api = _api_ids(finance, "/api/v1/salesforce/sync-runs/", {**params, "ordering": "-created_at"})

    assert response.status_code == 200
    assert page == api
    assert len(page) == count
