"""Sync pages: runs (with "Sync now"), a run's progress and log, and the sync issues.

Order Specialists and Admins start syncs and resolve issues; Deal Desk, Finance and
Auditors see everything read-only; anyone else gets 403 (named permissions, roles.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import DomainValidationError
from core.permissions import require

from . import selectors, services
from .filters import SyncIssueFilter, SyncRunFilter, issue_page_params
from .forms import ResolveIssueForm, StartSyncForm
from .models import SyncIssue, SyncLogLine, SyncRun

RUN_PERMISSION = "salesforce_sync.run_salesforce_sync"
RESOLVE_PERMISSION = "salesforce_sync.resolve_syncissue"
ISSUES_PER_PAGE = 50
RUNS_SHOWN = 50
LOG_LINES_SHOWN = 500


@require("salesforce_sync.view_syncrun")
def run_list(request):
    form = StartSyncForm(request.POST if request.method == "POST" else None)
    open_issues = selectors.open_issue_counts()
    runs = SyncRunFilter(request.GET or None, queryset=selectors.runs_for_list())
    if request.method == "POST":
        if not request.user.has_perm(RUN_PERMISSION):
            raise PermissionDenied
        if form.is_valid():
            try:
                run = services.start_sync(actor=request.user, full=form.cleaned_data["full"])
            except DomainValidationError as err:
                messages.error(request, err.message)
                return redirect("salesforce_sync:run_list")
            messages.success(request, f"Sync #{run.pk} started.")
            return redirect("salesforce_sync:run_detail", run.pk)
    return render(
        request,
        "integrations/salesforce/runs.html",
        {
            "form": form,
            "runs": runs.qs[:RUNS_SHOWN],
            "run_filter": runs.form,
            "active": services.active_run(),
            "open_issues": open_issues,
            "open_total": sum(open_issues.values()),
            "watermarks": selectors.watermarks(),
            "connection": selectors.connection_summary(),
            "mapping": selectors.field_mapping(),
            "preflight": selectors.last_preflight(),
            "can_run": request.user.has_perm(RUN_PERMISSION),
            "section": "runs",
        },
    )


@require("salesforce_sync.view_syncrun")
def run_detail(request, pk: int):
    run = get_object_or_404(SyncRun.objects.select_related("requested_by"), pk=pk)
    log_lines = list(SyncLogLine.objects.filter(run=run).order_by("-pk")[:LOG_LINES_SHOWN])
    log_lines.reverse()
    return render(
        request,
        "integrations/salesforce/run_detail.html",
        {
            "run": run,
            "progress": selectors.run_progress(run, log_limit=0),
            "count_labels": selectors.COUNT_LABELS,
            "log_lines": log_lines,
            "last_log_id": log_lines[-1].pk if log_lines else 0,
            "open_total": sum(selectors.open_issue_counts().values()),
            "issues_url": reverse("salesforce_sync:issue_list")
            + "?"
            + urlencode({"status": "", "run": run.pk}),
            "section": "runs",
        },
    )


@require("salesforce_sync.view_syncrun")
def run_progress(request, pk: int):
    run = get_object_or_404(SyncRun, pk=pk)
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        after = 0
    return JsonResponse(selectors.run_progress(run, after_log_id=after))


@require("salesforce_sync.view_syncissue")
def issue_list(request):
    issues = SyncIssueFilter(issue_page_params(request.GET), queryset=selectors.issues_for_list())
    open_issues = selectors.open_issue_counts()
    page = Paginator(issues.qs, ISSUES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "integrations/salesforce/issues.html",
        {
            "form": issues.form,
            "page": page,
            "page_query": query.urlencode(),
            "open_issues": open_issues,
            "open_total": sum(open_issues.values()),
            "can_resolve": request.user.has_perm(RESOLVE_PERMISSION),
            "section": "issues",
        },
    )


@require("salesforce_sync.view_syncissue", RESOLVE_PERMISSION)
@require_POST
def issue_resolve(request, pk: int):
    issue = get_object_or_404(SyncIssue, pk=pk)
    form = ResolveIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how to resolve the issue.")
    else:
        try:
            services.resolve_sync_issue(
                issue=issue,
                resolution=form.cleaned_data["resolution"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except DomainValidationError as err:
            messages.error(request, f"Issue #{issue.pk}: {err.message}")
        else:
            messages.success(request, f"Issue #{issue.pk} resolved.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("salesforce_sync:issue_list")
    return redirect(target)
