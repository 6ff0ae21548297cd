"""Reads for the sync pages and API: runs, progress, issues, watermarks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from .client import SalesforceConfig
from .models import (
    FINISHED_RUN_STATUSES,
    IssueKind,
    IssueStatus,
    SyncIssue,
    SyncLogLine,
    SyncRun,
    SyncWatermark,
)
from .services.context import summarize_counts
from .services.mapping import mapping_rows

# What each total counts, in the words of the page: records of every object together
# (run_summary says how many of each, line items and accounts inside the deals too).
COUNT_LABELS = [
    ("fetched", "Records queried"),
    ("created", "Records created"),
    ("updated", "Records updated"),
    ("unchanged", "Records unchanged"),
    ("skipped", "Bad records skipped"),
    ("errors", "Errors"),
    ("conflicts", "Conflicts"),
    ("flagged", "Flagged"),
    ("contracts_created", "Draft contracts created"),
]


def run_summary(run: SyncRun) -> str:
    """What a run did, each number with the records it counts."""
    return summarize_counts(run.counts_by_object or {})


def run_progress(run: SyncRun, *, after_log_id: int = 0, log_limit: int = 200) -> dict[str, Any]:
    """The JSON the run page polls every second."""
    lines = list(
        SyncLogLine.objects.filter(run=run, pk__gt=after_log_id).order_by("pk")[:log_limit]
    )
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "finished": run.status in FINISHED_RUN_STATUSES,
        "phase": run.phase,
        "total": run.total,
        "processed": run.processed,
        "percent": run.progress_percent,
        "attempts": run.attempts,
        "error": run.error,
        "counts": {key: getattr(run, key) for key, _ in COUNT_LABELS},
        "summary": run_summary(run),
        "http_requests": run.http_requests,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "log": [
            {
                "id": line.pk,
                "at": line.at.isoformat(),
                "level": line.level,
                "sf_object": line.sf_object,
                "sf_id": line.sf_id,
                "code": line.code,
                "message": line.message,
            }
            for line in lines
        ],
    }


def issues_for_list() -> QuerySet[SyncIssue]:
    """Every issue, newest seen first; the page and the API filter it with SyncIssueFilter."""
    return SyncIssue.objects.select_related(
        "account", "contract", "opportunity", "resolved_by", "last_run"
    ).order_by("-last_seen_at", "-id")


def runs_for_list() -> QuerySet[SyncRun]:
    """Every run, newest first; the page and the API filter it with SyncRunFilter."""
    return SyncRun.objects.select_related("requested_by").order_by("-created_at", "-id")


def open_issue_counts() -> dict[str, int]:
    counts = dict(
        SyncIssue.objects.filter(status=IssueStatus.OPEN)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {kind: counts.get(kind, 0) for kind in IssueKind.values}


def watermarks() -> list[SyncWatermark]:
    return list(SyncWatermark.objects.order_by("sf_object"))


def connection_summary() -> str:
    return SalesforceConfig.from_settings().describe()


def field_mapping() -> list[dict[str, str]]:
    return mapping_rows()


PREFLIGHT_CODES = (
    "preflight_ok",
    "single_currency",
    "missing_field",
    "object_not_queryable",
    "required_field_off",
    "unknown_currency",
)


def last_preflight() -> tuple[SyncRun | None, list[SyncLogLine]]:
    """The org check of the latest run that got as far as making it, and what it said."""
    latest = SyncLogLine.objects.filter(code__in=PREFLIGHT_CODES).order_by("-run_id").first()
    if latest is None:
        return None, []
    lines = list(
        SyncLogLine.objects.filter(run_id=latest.run_id, code__in=PREFLIGHT_CODES).order_by("pk")
    )
    return latest.run, lines
