"""Sync runs and sync issues change status only along their transition tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainValidationError
from integrations.salesforce.models import (
    SYNC_ISSUE_TRANSITIONS,
    SYNC_RUN_TRANSITIONS,
    IssueKind,
    IssueStatus,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
)
from integrations.salesforce.services.locks import _fail_abandoned_runs

pytestmark = pytest.mark.django_db

ALLOWED_RUN_MOVES = [
    (old, new) for old, targets in SYNC_RUN_TRANSITIONS.items() for new in sorted(targets)
]
REFUSED_RUN_MOVES = [
    (old, new)
    for old in SyncRunStatus.values
    for new in SyncRunStatus.values
    if new not in SYNC_RUN_TRANSITIONS[old]
]


def _run(status: str) -> SyncRun:
    run = SyncRun.objects.create()
    SyncRun.objects.filter(pk=run.pk).update(status=status)  # a fixture in that state
    return SyncRun.objects.get(pk=run.pk)


def _issue(status: str = IssueStatus.OPEN) -> SyncIssue:
    issue = SyncIssue.objects.create(
        kind=IssueKind.BAD_RECORD, sf_object="Opportunity", sf_id="006000000000001AAA"
    )
    SyncIssue.objects.filter(pk=issue.pk).update(status=status)
    return SyncIssue.objects.get(pk=issue.pk)


def test_a_finished_sync_run_never_moves_again():
    for status in (SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED, SyncRunStatus.SKIPPED):
        assert SYNC_RUN_TRANSITIONS[status] == set()


@pytest.mark.parametrize(("old", "new"), ALLOWED_RUN_MOVES)
def test_a_sync_run_moves_along_its_table(old, new):
    run = _run(old)
    run.transition_to(new)
    run.save(update_fields=["status"])
    assert SyncRun.objects.get(pk=run.pk).status == new


@pytest.mark.parametrize(("old", "new"), REFUSED_RUN_MOVES)
def test_a_sync_run_refuses_a_move_outside_its_table_and_changes_nothing(old, new):
    run = _run(old)
    with pytest.raises(DomainValidationError) as err:
        run.transition_to(new)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert run.status == old
    assert SyncRun.objects.get(pk=run.pk).status == old


def test_a_sync_run_status_set_directly_is_refused_on_save():
    run = _run(SyncRunStatus.RUNNING)
    run.status = SyncRunStatus.SUCCEEDED
    with pytest.raises(DomainValidationError) as err:
        run.save()
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert SyncRun.objects.get(pk=run.pk).status == SyncRunStatus.RUNNING


def test_an_abandoned_run_fails_through_the_table_and_a_finished_one_stays():
    old = timezone.now() - timedelta(hours=2)
    abandoned = SyncRun.objects.create(heartbeat_at=old)
    SyncRun.objects.filter(pk=abandoned.pk).update(status=SyncRunStatus.RETRYING)
    finished = SyncRun.objects.create(heartbeat_at=old)
    SyncRun.objects.filter(pk=finished.pk).update(status=SyncRunStatus.SUCCEEDED)
    current = SyncRun.objects.create()
    _fail_abandoned_runs(current)
    assert SyncRun.objects.get(pk=abandoned.pk).status == SyncRunStatus.FAILED
    assert SyncRun.objects.get(pk=finished.pk).status == SyncRunStatus.SUCCEEDED
    assert SyncRun.objects.get(pk=current.pk).status == SyncRunStatus.QUEUED


def test_an_open_sync_issue_resolves_through_its_table():
    issue = _issue()
    issue.transition_to(IssueStatus.RESOLVED)
    issue.save(update_fields=["status"])
    assert SyncIssue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED
    assert SYNC_ISSUE_TRANSITIONS[IssueStatus.RESOLVED] == set()


def test_a_resolved_sync_issue_refuses_to_reopen_and_changes_nothing():
    issue = _issue(IssueStatus.RESOLVED)
    with pytest.raises(DomainValidationError) as err:
        issue.transition_to(IssueStatus.OPEN)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert SyncIssue.objects.get(pk=issue.pk).status == IssueStatus.RESOLVED


def test_a_sync_issue_status_set_directly_is_refused_on_save():
    issue = _issue()
    issue.status = IssueStatus.RESOLVED
    with pytest.raises(DomainValidationError) as err:
        issue.save()
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert SyncIssue.objects.get(pk=issue.pk).status == IssueStatus.OPEN
