"""Bulk actions on a billing run's invoices (issue drafts, send issued ones).

The run page posts here, either all at once (no script: the page comes back with a
summary) or, from `static/ledgerline/bulk-actions.js`, in chunks of a few invoices that
answer JSON, so that the page shows progress. Each invoice is done at most once whatever
is re-posted (billing.services.bulk)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from billing import selectors, services
from billing.models import BillingRun, InvoiceStatus
from core.errors import DomainValidationError
from core.permissions import require

# The status of the invoices an "all" bulk action acts on.
BULK_STATUS = {"issue": InvoiceStatus.DRAFT, "send": InvoiceStatus.ISSUED}

BULK_ACTIONS = {
    "issue": (services.issue_run_drafts, "Issued", "issued"),
    "send": (services.send_run_invoices, "Sent", "sent"),
}


def _ids(request) -> list[int] | None:
    if request.POST.get("scope") == "all":
        return None
    return [int(v) for v in request.POST.getlist("invoice") if v.isdigit()]


@require("billing.view_billingrun", "billing.issue_invoice")
@require_POST
def run_bulk_action(request, pk: int, action: str):
    if action not in BULK_ACTIONS:
        raise Http404("No such bulk action.")
    run = get_object_or_404(BillingRun, pk=pk, dry_run=False)
    service, verb, past = BULK_ACTIONS[action]
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    invoice_ids = _ids(request)
    if invoice_ids == []:
        if wants_json:
            return JsonResponse(
                {"field": "invoices", "message": "Select invoices first."}, status=400
            )
        messages.error(request, "Select invoices first.")
        return redirect("billing:run_detail", run.pk)
    try:
        outcome = service(run=run, actor=request.user, invoice_ids=invoice_ids)
    except DomainValidationError as err:
        if wants_json:
            return JsonResponse(
                {"field": err.field, "code": err.code, "message": err.message}, status=400
            )
        messages.error(request, err.message)
        return redirect("billing:run_detail", run.pk)
    if wants_json:
        return JsonResponse(outcome.as_dict())
    if outcome.done:
        messages.success(request, f"{verb} {len(outcome.done)} invoice(s).")
    if outcome.skipped:
        messages.info(request, f"{len(outcome.skipped)} invoice(s) were {past} already.")
    for invoice_id, message in outcome.refused:
        messages.error(request, f"Invoice #{invoice_id}: {message}")
    return redirect("billing:run_detail", run.pk)


@require("billing.view_billingrun", "billing.issue_invoice")
@require_GET
def run_bulk_ids(request, pk: int, action: str):
    """Every invoice an "all" bulk action acts on, not only the page shown: the page's
    script posts them in chunks."""
    if action not in BULK_STATUS:
        raise Http404("No such bulk action.")
    run = get_object_or_404(BillingRun, pk=pk, dry_run=False)
    return JsonResponse({"invoices": selectors.run_invoice_ids(run, BULK_STATUS[action])})
