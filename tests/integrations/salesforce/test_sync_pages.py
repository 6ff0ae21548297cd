"""Sync pages, API, schedule and command: who may see, start and resolve."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from integrations.salesforce.models import (
    IssueKind,
    IssueStatus,
    Resolution,
    SyncIssue,
    SyncLogLine,
    SyncRun,
    SyncRunStatus,
)
from integrations.salesforce.services import run_sync_now
from ordermgmt import roles
from ordermgmt.models import Account
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)
EVERYONE = {OS, DD, FIN, AUD, ADM}
OPERATORS = {OS, ADM}


def client_for(client, role: str | None):
    client.force_login(UserFactory(role=role) if role else UserFactory())
    return client


@pytest.fixture
def a_run(db):
    run = SyncRun.objects.create(status=SyncRunStatus.SUCCEEDED, fetched=3)
    SyncLogLine.objects.create(run=run, message="Started.", code="started")
    return run


@pytest.fixture
def a_conflict(db):
    return SyncIssue.objects.create(
        kind=IssueKind.DELETED,
        sf_object="Opportunity",
        sf_id="0065g00002BLnMYAA1",
        code="deleted_in_salesforce",
        message="Deleted in Salesforce.",
    )


READS = {
    "runs page": lambda c, run, issue: c.get(reverse("salesforce_sync:run_list")),
    "run page": lambda c, run, issue: c.get(reverse("salesforce_sync:run_detail", args=[run.pk])),
    "progress JSON": lambda c, run, issue: c.get(
        reverse("salesforce_sync:run_progress", args=[run.pk])
    ),
    "issues page": lambda c, run, issue: c.get(reverse("salesforce_sync:issue_list")),
    "runs API": lambda c, run, issue: c.get("/api/v1/salesforce/sync-runs/"),
    "run API": lambda c, run, issue: c.get(f"/api/v1/salesforce/sync-runs/{run.pk}/"),
    "issues API": lambda c, run, issue: c.get("/api/v1/salesforce/sync-issues/"),
}


@pytest.mark.parametrize("role", [*sorted(EVERYONE), None])
@pytest.mark.parametrize("name", sorted(READS))
def test_every_role_reads_runs_and_issues_and_others_get_403(client, a_run, a_conflict, name, role):
    response = READS[name](client_for(client, role), a_run, a_conflict)

    assert response.status_code == (200 if role else 403)


def test_signed_out_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("salesforce_sync:run_list"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_only_specialists_and_admins_may_press_sync_now(
    client, sf_settings, django_capture_on_commit_callbacks, role
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(client, role).post(reverse("salesforce_sync:run_list"))

    if role in OPERATORS:
        run = SyncRun.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("salesforce_sync:run_detail", args=[run.pk])
        assert (run.status, run.requested_by.groups.get().name) == (SyncRunStatus.QUEUED, role)
        assert len(callbacks) == 1  # the task is enqueued once the run is committed
    else:
        assert response.status_code == 403
        assert not SyncRun.objects.exists()


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_only_specialists_and_admins_may_start_a_sync_through_the_api(
    client, sf_settings, django_capture_on_commit_callbacks, role
):
    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(client, role).post(
            "/api/v1/salesforce/sync-runs/", {"full": True}, content_type="application/json"
        )

    if role in OPERATORS:
        assert response.status_code == 202
        assert response.json()["status"] == "queued"
        assert SyncRun.objects.get().full is True
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_only_specialists_and_admins_may_resolve_issues(client, a_conflict, role):
    response = client_for(client, role).post(
        reverse("salesforce_sync:issue_resolve", args=[a_conflict.pk]),
        {"resolution": Resolution.ACKNOWLEDGED, "note": "seen"},
    )

    a_conflict.refresh_from_db()
    if role in OPERATORS:
        assert response.status_code == 302
        assert a_conflict.status == IssueStatus.RESOLVED
    else:
        assert response.status_code == 403
        assert a_conflict.status == IssueStatus.OPEN


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_only_specialists_and_admins_may_resolve_issues_through_the_api(client, a_conflict, role):
    response = client_for(client, role).post(
        f"/api/v1/salesforce/sync-issues/{a_conflict.pk}/resolve/",
        {"resolution": "acknowledged"},
        content_type="application/json",
    )

    assert response.status_code == (200 if role in OPERATORS else 403)


def test_a_refused_resolution_is_a_400_naming_the_field(client, a_conflict):
    response = client_for(client, OS).post(
        f"/api/v1/salesforce/sync-issues/{a_conflict.pk}/resolve/",
        {"resolution": "take_salesforce"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "resolution",
        "resolution_not_allowed",
    )


def test_sync_now_while_a_run_is_under_way_says_so(client, sf_settings):
    running = SyncRun.objects.create(status=SyncRunStatus.RUNNING)

    response = client_for(client, OS).post(reverse("salesforce_sync:run_list"), follow=True)

    assert f"Sync #{running.pk} is running" in response.content.decode()
    assert SyncRun.objects.count() == 1


def test_the_issues_page_filters_by_kind_status_and_search(client, sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    sf_bookings.deal(account_id=account_id)
    run_sync_now()
    Account.objects.filter(salesforce_id=account_id).update(legal_name="Local Name")
    sf_bookings.store.update("Account", account_id, {"Name": "Remote Name"})
    deleted = sf_bookings.deal(Name="Doomed deal")
    run_sync_now()
    sf_bookings.store.delete("Opportunity", deleted)
    run_sync_now()
    page = client_for(client, FIN)

    url = reverse("salesforce_sync:issue_list")
    conflicts = page.get(url, {"status": "open", "kind": "conflict"})
    deletions = page.get(url, {"status": "", "q": deleted})

    assert [i.kind for i in conflicts.context["page"].object_list] == [IssueKind.CONFLICT]
    body = conflicts.content.decode()
    assert "Local Name" in body and "Remote Name" in body
    assert "Take Salesforce value" not in body  # Finance reads, doesn't resolve
    assert [i.sf_id for i in deletions.context["page"].object_list] == [deleted]


def test_the_specialist_resolves_a_conflict_from_the_issues_page(client, sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    sf_bookings.deal(account_id=account_id)
    run_sync_now()
    account = Account.objects.get(salesforce_id=account_id)
    account.legal_name = "Local Name"
    account.save()
    sf_bookings.store.update("Account", account_id, {"Name": "Remote Name"})
    run_sync_now()
    issue = SyncIssue.objects.get(status=IssueStatus.OPEN)
    page = client_for(client, OS)
    listing = page.get(reverse("salesforce_sync:issue_list"))
    assert "Take Salesforce value" in listing.content.decode()

    response = page.post(
        reverse("salesforce_sync:issue_resolve", args=[issue.pk]),
        {"resolution": "take_salesforce", "next": reverse("salesforce_sync:issue_list")},
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.legal_name == "Remote Name"


def test_the_progress_json_returns_log_lines_after_the_last_one_seen(client, a_run):
    later = SyncLogLine.objects.create(run=a_run, message="Finished.", code="finished")
    first = SyncLogLine.objects.filter(run=a_run).order_by("pk").first()

    response = client_for(client, AUD).get(
        reverse("salesforce_sync:run_progress", args=[a_run.pk]), {"after": first.pk}
    )

    body = response.json()
    assert [line["id"] for line in body["log"]] == [later.pk]
    assert (body["status"], body["finished"], body["counts"]["fetched"]) == (
        "succeeded",
        True,
        3,
    )


def test_the_run_page_shows_counts_log_and_the_polling_script(client, sf_settings, sf_bookings):
    sf_bookings.deal()
    run = run_sync_now()

    response = client_for(client, DD).get(reverse("salesforce_sync:run_detail", args=[run.pk]))

    body = response.content.decode()
    assert 'id="run-progress"' in body
    assert "ledgerline/salesforce-sync." in body
    assert "Finished:" in body
    assert 'data-finished="1"' in body


def test_the_api_schema_documents_the_sync_endpoints(client):
    response = client_for(client, AUD).get("/api/v1/schema/", {"format": "json"})

    paths = json.loads(response.content)["paths"]
    assert "/api/v1/salesforce/sync-runs/" in paths
    assert "post" in paths["/api/v1/salesforce/sync-runs/"]
    assert "/api/v1/salesforce/sync-issues/{id}/resolve/" in paths


def test_the_nav_links_to_the_sync_for_roles_that_see_it(client):
    assert "nav-salesforce" in client_for(client, FIN).get("/").content.decode()


def test_the_periodic_task_is_scheduled_every_15_minutes(db):
    task = PeriodicTask.objects.get(name="Salesforce booking sync")

    assert task.task == "integrations.salesforce.tasks.sync_salesforce_bookings"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (15, "minutes")


def test_the_scheduled_task_does_nothing_while_salesforce_is_not_configured(settings):
    from integrations.salesforce.tasks import sync_salesforce_bookings

    settings.SALESFORCE_INSTANCE_URL = settings.SALESFORCE_USERNAME = ""

    assert sync_salesforce_bookings.apply().get() is None
    assert not SyncRun.objects.exists()


def test_the_command_syncs_once_and_prints_the_summary(sf_settings, sf_bookings):
    sf_bookings.deal()
    out = StringIO()

    call_command("sync_salesforce", stdout=out)

    text = out.getvalue()
    assert "Succeeded" in text
    assert "Draft contracts" in text
    assert SyncRun.objects.get().contracts_created == 1


@pytest.mark.parametrize("model", ["syncrun", "syncissue", "syncedrecord", "syncwatermark"])
def test_the_admin_lists_the_sync_records(client, a_run, a_conflict, model):
    response = client_for(client, ADM).get(reverse(f"admin:salesforce_sync_{model}_changelist"))

    assert response.status_code == 200


def test_an_admin_action_resolves_issues_through_the_service(client, a_conflict):
    response = client_for(client, OS).post(
        reverse("admin:salesforce_sync_syncissue_changelist"),
        {"action": "acknowledge", "_selected_action": [a_conflict.pk]},
    )

    assert response.status_code == 302
    a_conflict.refresh_from_db()
    assert (a_conflict.status, a_conflict.resolution) == ("resolved", "acknowledged")


def test_the_run_admin_page_links_to_the_log(client, a_run):
    response = client_for(client, AUD).get(
        reverse("admin:salesforce_sync_syncrun_change", args=[a_run.pk])
    )

    assert response.status_code == 200
    assert "Started." in response.content.decode()
