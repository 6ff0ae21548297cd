"""Billing pages: invoices, billing runs and a customer's billing timeline.

Views check the role's permission, read through billing.selectors and write only
through billing.services (via the forms in billing.forms)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing import selectors, services
from billing.filters import InvoiceFilter
from billing.forms import (
    INVOICE_ACTIONS,
    BillingRunForm,
    available_actions,
    done_message,
)
from billing.models import BillingRun, BillingRunException, CreditNote, Invoice
from billing.selectors import catch_up as catch_up_selectors
from billing.services import run_lease
from core import list_exports
from core.confirmation import FIELD as CONFIRMATION_FIELD
from core.confirmation import NOTICES as CONFIRMATION_NOTICES
from core.confirmation import Verdict, check_confirmation, confirmation_token
from core.errors import DomainValidationError
from core.pagination import EstimatedCountPaginator
from core.permissions import require
from ordermgmt.models import Account, Contract

logger = logging.getLogger(__name__)

INVOICES_PER_PAGE = 50


# --- Invoices ------------------------------------------------------------------------------


EXPORT_PERMISSION = "collections_app.export_finance_reports"
INVOICE_COLUMNS = [
    list_exports.Column("number", lambda i: i.number or f"DRAFT #{i.pk}"),
    list_exports.Column("account_id", lambda i: i.account_id),
    list_exports.Column("account", lambda i: i.account.legal_name),
    list_exports.Column("contract", lambda i: i.contract.reference if i.contract_id else ""),
    list_exports.Column("po_number", lambda i: i.po_number),
    list_exports.Column("status", lambda i: i.status),
    list_exports.Column("settlement_status", lambda i: i.settlement_status),
    list_exports.Column("invoice_date", lambda i: i.invoice_date),
    list_exports.Column("due_date", lambda i: i.due_date),
    list_exports.Column("currency", lambda i: i.currency),
    list_exports.Column("total", lambda i: list_exports.plain_amount(i.total_amount, i.currency)),
    list_exports.Column(
        "open",
        lambda i: (
            "" if i.status == "draft" else list_exports.plain_amount(i.open_amount, i.currency)
        ),
    ),
]


def invoice_filterset(request) -> InvoiceFilter:
    return InvoiceFilter(request.GET or None, queryset=selectors.invoices_for_list_base())


@require("billing.view_invoice")
def invoice_list(request):
    filterset = invoice_filterset(request)
    invoices = filterset.qs
    page = EstimatedCountPaginator(invoices, INVOICES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # Totals read every matching invoice: shown at once for a list that was counted
    # exactly (short), on request ("Show totals") for a long one.
    totals_asked = request.GET.get("totals") == "1"
    show_totals = totals_asked or not page.paginator.estimated
    return render(
        request,
        "billing/invoice_list.html",
        {
            "form": filterset.form,
            "page": page,
            "page_query": query.urlencode(),
            "sort": request.GET.get("sort", ""),
            "rows": selectors.invoice_rows(page.object_list),
            "totals": selectors.totals_by_currency(invoices) if show_totals else None,
            "totals_shown": show_totals,
            "can_export": request.user.has_perm(EXPORT_PERMISSION),
        },
    )


@require("billing.view_invoice", EXPORT_PERMISSION)
def invoice_export(request):
    return list_exports.csv_response(
        user=request.user, report="invoices", filterset=invoice_filterset(request),
        columns=INVOICE_COLUMNS,
    )  # fmt: skip


def _invoice_page(request, invoice: Invoice, bound_form=None, status: int = 200):
    forms = []
    for action in available_actions(request.user, invoice):
        if bound_form is not None and bound_form.prefix == action.name:
            forms.append((action, bound_form))
        else:
            forms.append((action, action.form_class(prefix=action.name)))
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "detail": selectors.invoice_detail(invoice),
            "invoice": invoice,
            "applications": selectors.invoice_applications(invoice)
            if request.user.has_perm("billing.view_paymentapplication")
            else None,
            "action_forms": forms,
            "account_url": reverse("billing:account_detail", args=[invoice.account_id]),
        },
        status=status,
    )


@require("billing.view_invoice")
def invoice_detail(request, pk: int):
    try:
        invoice = selectors.invoice_with_related(pk)
    except Invoice.DoesNotExist as err:
        raise Http404("No such invoice") from err
    return _invoice_page(request, invoice)


# Actions that show their effect (amount, new open balance, what goes to Stripe) on a
# confirmation page before they are done.
CONFIRMED_ACTIONS = {"credit", "void"}


@require("billing.view_invoice")
def invoice_action_confirm(request, pk: int, action: str):
    spec = INVOICE_ACTIONS.get(action)
    if spec is None or action not in CONFIRMED_ACTIONS:
        raise Http404("No such action")
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    invoice = get_object_or_404(Invoice, pk=pk)
    return _confirmation_page(request, invoice, spec, spec.form_class(request.GET, prefix=action))


def _credit_effect_input(form) -> dict:
    """What the user typed that the effect shown depends on, signed with the effect."""
    return {"amount": form.cleaned_data.get("amount"), "reason": form.cleaned_data["reason"]}


def _confirmation_page(request, invoice: Invoice, spec, form, notice: str | None = None):
    """The effect of a credit note or void as it is now, with the token its confirm
    button posts back; refused input goes back to the invoice page on its field."""
    action = spec.name
    if form.is_valid() and not form.cleaned_data["reason"].strip():
        form.add_error("reason", "Give a reason.")
    if not form.is_valid():
        return _invoice_page(request, invoice, bound_form=form, status=400)
    try:
        effect = services.credit_effect(
            invoice=invoice, amount=form.cleaned_data.get("amount") if action == "credit" else None
        )
    except DomainValidationError as err:
        if err.field in form.fields:
            form.add_error(err.field, err.message)
            return _invoice_page(request, invoice, bound_form=form, status=400)
        messages.error(request, err.message)
        return redirect("billing:invoice_detail", invoice.pk)
    money = selectors.money
    token = confirmation_token(
        action=action,
        record=invoice,
        user=request.user,
        effect={"effect": effect, "input": _credit_effect_input(form)},
    )
    return render(
        request,
        "billing/invoice_confirm.html",
        {
            "invoice": invoice,
            "action": spec,
            "form": form,
            "effect": effect,
            "amount": money(effect.amount, effect.currency),
            "open_before": money(effect.open_before, effect.currency),
            "open_after": money(effect.open_after, effect.currency),
            "on_account": money(effect.on_account, effect.currency) if effect.on_account else "",
            "confirmation": token,
            "notice": notice,
        },
        status=409 if notice else 200,
    )


def _unconfirmed(request, invoice: Invoice, spec, form) -> HttpResponse | None:
    """None when the posted token confirms the effect as it is now; else the new preview
    (nothing done). What the service would refuse anyway is left to it to refuse."""
    if not form.is_valid() or not spec.applies_to(invoice):
        return None
    amount = form.cleaned_data.get("amount") if spec.name == "credit" else None
    try:
        effect = services.credit_effect(invoice=invoice, amount=amount)
    except DomainValidationError:
        return None
    verdict = check_confirmation(
        request.POST.get(CONFIRMATION_FIELD),
        action=spec.name,
        record=invoice,
        user=request.user,
        effect={"effect": effect, "input": _credit_effect_input(form)},
    )
    if verdict == Verdict.CONFIRMED:
        return None
    fresh = spec.form_class(request.POST, prefix=spec.name)
    return _confirmation_page(request, invoice, spec, fresh, notice=CONFIRMATION_NOTICES[verdict])


@require("billing.view_creditnote")
def credit_note_pdf(request, pk: int):
    """The credit note's PDF, rendered once and stored, like an issued invoice's."""
    from billing.documents.pdf import credit_note_pdf_download

    note = get_object_or_404(CreditNote, pk=pk)
    filename, content = credit_note_pdf_download(note)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require("billing.view_invoice")
@require_POST
def invoice_action(request, pk: int, action: str):
    spec = INVOICE_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    if not request.user.has_perm(spec.permission):
        raise PermissionDenied
    invoice = get_object_or_404(Invoice, pk=pk)
    form = spec.form_class(request.POST, prefix=action)
    if action in CONFIRMED_ACTIONS:
        unconfirmed = _unconfirmed(request, invoice, spec, form)
        if unconfirmed is not None:
            return unconfirmed
    result, refused = form.run(invoice, request.user)
    if result is not None:
        messages.success(request, done_message(action, invoice, result))
        target = result if action == "correct" else invoice
        return redirect("billing:invoice_detail", target.pk)
    if refused:
        messages.error(request, refused)
        return redirect("billing:invoice_detail", invoice.pk)
    # The form itself is wrong (a field's message): show it where it was typed.
    return _invoice_page(request, selectors.invoice_with_related(pk), form, status=400)


@require("billing.view_invoice")
def invoice_pdf(request, pk: int):
    invoice = get_object_or_404(Invoice, pk=pk)
    filename = f"{invoice.number or f'draft-invoice-{invoice.pk}'}.pdf"
    if invoice.pdf:
        try:
            return FileResponse(
                invoice.pdf.open("rb"), content_type="application/pdf", filename=filename
            )
        except FileNotFoundError:
            logger.error("The stored PDF of invoice %s is missing", invoice.pk)
    try:
        from billing.documents import pdf
    except ImportError:
        logger.exception("The invoice PDF renderer is not available")
        return HttpResponse("The invoice PDF renderer is not available.", status=503)
    download = getattr(pdf, "invoice_pdf_download", None)
    if invoice.is_draft or download is None or invoice.pdf:
        content = pdf.invoice_pdf_bytes(invoice)
    else:
        # An issued invoice's PDF is rendered once and stored: the customer's copy and
        # every later download are the same document.
        filename, content = download(invoice)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Billing runs ------------------------------------------------------------------------------


@require("billing.view_billingrun")
def run_list(request):
    form = BillingRunForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("billing.run_billing"):
            raise PermissionDenied
        if form.is_valid():
            try:
                # Checked first so that a missing seller fails here, not inside the run.
                services.default_legal_entity()
                run = services.queue_billing_run(
                    run_date=form.cleaned_data["run_date"],
                    actor=request.user,
                    dry_run=form.cleaned_data["mode"] == "preview",
                    confirm_catch_up=form.cleaned_data["confirm_catch_up"],
                )
            except DomainValidationError as err:
                if err.field in form.fields:
                    form.add_error(err.field, err.message)
                else:
                    messages.error(request, err.message)
                    return redirect("billing:run_list")
            else:
                return redirect("billing:run_detail", run.pk)
        status = 400
    return render(
        request,
        "billing/run_list.html",
        {
            "form": form,
            "runs": selectors.recent_runs(),
            "open_exceptions": selectors.open_run_exceptions(),
            "can_run": request.user.has_perm("billing.run_billing"),
            "catch_ups": (
                catch_up_selectors.run_catch_ups(run_date=form.cleaned_data["run_date"])
                if form.errors.get("confirm_catch_up")
                else []
            ),
        },
        status=status,
    )


def _run_page(request, run: BillingRun, *, resolve_error: dict | None = None, status: int = 200):
    summary = selectors.run_summary(run, invoice_page=request.GET.get("page"))
    prefetch_related_objects([row.exception for row in summary.exceptions], "resolved_by")
    return render(
        request,
        "billing/run_detail.html",
        {
            "summary": summary,
            "run": run,
            "progress": selectors.run_progress(run),
            "can_resolve": request.user.has_perm("billing.change_billingrunexception"),
            "can_run": request.user.has_perm("billing.run_billing"),
            "can_issue": request.user.has_perm("billing.issue_invoice"),
            "resumable": run_lease.is_resumable(run),
            "resolve_error": resolve_error,  # why resolving one exception was refused
        },
        status=status,
    )


@require("billing.view_billingrun")
def run_detail(request, pk: int):
    run = get_object_or_404(BillingRun.objects.select_related("created_by"), pk=pk)
    return _run_page(request, run)


@require("billing.run_billing")
@require_POST
def run_resume(request, pk: int):
    run = get_object_or_404(BillingRun, pk=pk)
    try:
        services.resume_billing_run(run=run, actor=request.user)
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Resumed: {run}. Only what is still pending is billed.")
    return redirect("billing:run_detail", run.pk)


@require("billing.view_billingrun")
def run_progress(request, pk: int):
    run = get_object_or_404(BillingRun, pk=pk)
    return JsonResponse(selectors.run_progress(run))


@require("billing.change_billingrunexception")
@require_POST
def exception_resolve(request, pk: int):
    exception = get_object_or_404(BillingRunException.objects.select_related("contract"), pk=pk)
    note = request.POST.get("resolution_note", "")
    try:
        services.resolve_run_exception(
            exception=exception, actor=request.user, resolution_note=note
        )
    except DomainValidationError as err:
        if err.field != "resolution_note":
            messages.error(request, err.message)
            return redirect("billing:run_detail", exception.billing_run_id)
        # The note is missing: say so next to the box it belongs in.
        run = BillingRun.objects.select_related("created_by").get(pk=exception.billing_run_id)
        refused = {"exception_id": exception.pk, "message": err.message, "note": note}
        return _run_page(request, run, resolve_error=refused, status=400)
    messages.success(request, f"Marked resolved: {exception}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("billing:run_detail", args=[exception.billing_run_id])
    return redirect(target)


# --- Customer page ------------------------------------------------------------------------------


@require("billing.view_invoice", "ordermgmt.view_account")
def account_detail(request, pk: int):
    account = get_object_or_404(Account.objects.prefetch_related("contacts"), pk=pk)
    contract = None
    contract_id = request.GET.get("contract", "")
    if contract_id:
        contract = None
        if contract_id.isdigit():
            contract = Contract.objects.filter(account=account, pk=contract_id).first()
        if contract is None:
            raise Http404("No such contract on this account")
    timeline = selectors.account_timeline(
        account, contract=contract, with_payments=request.user.has_perm("billing.view_payment")
    )
    return render(
        request,
        "billing/account_detail.html",
        {"timeline": timeline, "account": account, "selected_contract": contract},
    )
