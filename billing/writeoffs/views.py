"""The write-offs and approvals console page: list write-offs, ask for one (a
confirmation shows its effect before anything is saved), approve or reject someone
else's request; refunds and credit notes above their threshold wait on the same page.

Views check permissions and write only through billing.writeoffs.services and
.approvals; a DomainValidationError becomes a message and nothing is saved."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.models import Invoice, InvoiceStatus
from billing.writeoffs import approvals, services
from billing.writeoffs.models import (
    ApprovalRequest,
    ApprovalStatus,
    WriteOff,
    WriteOffReason,
    WriteOffStatus,
)
from core.amount_input import AmountInputError, parse_amount
from core.confirmation import FIELD as CONFIRMATION_FIELD
from core.confirmation import NOTICES as CONFIRMATION_NOTICES
from core.confirmation import Verdict, check_confirmation, confirmation_token
from core.errors import DomainValidationError
from core.money import format_money
from core.permissions import require

VIEW = "writeoffs.view_writeoff"
REQUEST = "writeoffs.request_write_off"
APPROVE = "writeoffs.approve_write_off"
APPROVE_REQUEST = "writeoffs.approve_request"
PER_PAGE = 50


@require(VIEW)
def write_off_list(request):
    status = request.GET.get("status", "")
    rows = WriteOff.objects.select_related(
        "invoice__account", "document", "requested_by", "decided_by"
    ).order_by("-id")
    if status in WriteOffStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    pending_requests = ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING).select_related(
        "payment__account", "credit_on_account", "invoice", "requested_by"
    )
    return render(
        request,
        "billing/writeoffs/list.html",
        {
            "page": page,
            "status": status,
            "statuses": WriteOffStatus.choices,
            "reasons": WriteOffReason.choices,
            "pending_requests": pending_requests,
            "today": timezone.localdate(),
        },
    )


def _request_input(request) -> tuple[dict, str | None]:
    """The form's values, or the first problem in the user's words."""
    number = (request.POST.get("invoice") or "").strip()
    invoice = Invoice.objects.filter(number=number, status=InvoiceStatus.ISSUED).first()
    if invoice is None:
        return {}, f"Invoice: no issued invoice is numbered {number or '(empty)'}."
    try:
        amount = parse_amount(request.POST.get("amount") or "", label="Amount")
    except AmountInputError as err:
        return {}, err.message
    raw_date = (request.POST.get("write_off_date") or "").strip()
    try:
        day = date.fromisoformat(raw_date) if raw_date else timezone.localdate()
    except ValueError:
        return {}, "Write-off date: enter a date as YYYY-MM-DD."
    return {
        "invoice": invoice,
        "amount": amount,
        "reason_code": request.POST.get("reason_code") or "",
        "memo": (request.POST.get("memo") or "").strip()[:300],
        "write_off_date": day,
    }, None


def _request_effect(values: dict) -> dict:
    """What the write-off confirmation shows and signs: a change of any of it asks again."""
    invoice = values["invoice"]
    return {
        **{key: value for key, value in values.items() if key != "invoice"},
        "open_before": invoice.open_amount,
        "threshold": services.approval_threshold(invoice.currency),
    }


def _approval_effect(write_off: WriteOff) -> dict:
    return {"amount": write_off.amount, "open_before": write_off.invoice.open_amount}


def _decide_page(request, write_off: WriteOff, notice: str | None = None):
    invoice = write_off.invoice
    return render(
        request,
        "billing/writeoffs/decide.html",
        {
            "write_off": write_off,
            "after": invoice.open_amount - write_off.amount,
            "own": write_off.requested_by_id == request.user.pk,
            "confirmation": confirmation_token(
                action="approve_write_off",
                record=write_off,
                user=request.user,
                effect=_approval_effect(write_off),
            ),
            "notice": notice,
        },
        status=409 if notice else 200,
    )


@require(VIEW, REQUEST)
@require_POST
def write_off_request(request):
    """First post: the confirmation (open balance before and after, whether it waits for
    a second person). Second post, with `confirm`: the write-off is asked for."""
    values, problem = _request_input(request)
    if problem:
        messages.error(request, problem)
        return redirect("writeoffs:list")
    invoice, amount = values["invoice"], values["amount"]
    try:
        services.check_write_off(invoice=invoice, amount=amount, day=values["write_off_date"])
    except DomainValidationError as err:
        messages.error(request, err.message)
        return redirect("writeoffs:list")
    effect = _request_effect(values)
    verdict = (
        check_confirmation(
            request.POST.get(CONFIRMATION_FIELD),
            action="write_off",
            record=invoice,
            user=request.user,
            effect=effect,
        )
        if request.POST.get("confirm") == "yes"
        else None
    )
    if verdict != Verdict.CONFIRMED:
        # The first post, or a confirm without the effect shown (or with one since changed).
        return render(
            request,
            "billing/writeoffs/confirm.html",
            {
                "values": values,
                "reason_label": dict(WriteOffReason.choices).get(values["reason_code"], ""),
                "after": invoice.open_amount - amount,
                "threshold": services.approval_threshold(invoice.currency),
                "waits": amount > services.approval_threshold(invoice.currency),
                "confirmation": confirmation_token(
                    action="write_off", record=invoice, user=request.user, effect=effect
                ),
                "notice": CONFIRMATION_NOTICES.get(verdict),
            },
            status=409 if verdict else 200,
        )
    try:
        write_off = services.request_write_off(actor=request.user, **values)
    except DomainValidationError as err:
        messages.error(request, err.message)
        return redirect("writeoffs:list")
    money = format_money(write_off.amount, write_off.currency)
    if write_off.status == WriteOffStatus.POSTED:
        messages.success(
            request, f"{money} written off {invoice.number} as {write_off.document.number}."
        )
    else:
        messages.success(
            request, f"{money} on {invoice.number} waits for a second person's approval."
        )
    return redirect("writeoffs:list")


@require(VIEW, APPROVE)
def write_off_decide(request, pk: int):
    """GET: what approving would do. POST: approve or reject (with a reason)."""
    write_off = get_object_or_404(
        WriteOff.objects.select_related("invoice__account", "requested_by"), pk=pk
    )
    if request.method != "POST":
        return _decide_page(request, write_off)
    approving = request.POST.get("decision") == "approve"
    if approving and write_off.status == WriteOffStatus.PENDING:
        verdict = check_confirmation(
            request.POST.get(CONFIRMATION_FIELD),
            action="approve_write_off",
            record=write_off,
            user=request.user,
            effect=_approval_effect(write_off),
        )
        if verdict != Verdict.CONFIRMED:
            return _decide_page(request, write_off, CONFIRMATION_NOTICES[verdict])
    try:
        if approving:
            done = services.approve_write_off(
                write_off=write_off, actor=request.user, note=request.POST.get("note", "")
            )
            messages.success(request, f"Approved: {done.document.number} posted.")
        else:
            services.reject_write_off(
                write_off=write_off, actor=request.user, reason=request.POST.get("note", "")
            )
            messages.success(request, "Rejected: nothing was written off.")
    except DomainValidationError as err:
        messages.error(request, err.message)
    return redirect("writeoffs:list")


@require("writeoffs.view_approvalrequest", APPROVE_REQUEST)
@require_POST
def approval_decide(request, pk: int):
    pending = get_object_or_404(ApprovalRequest, pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            approvals.approve_request(
                request=pending, actor=request.user, note=request.POST.get("note", "")
            )
            messages.success(
                request, f"Approved: the {pending.get_kind_display().lower()} is done."
            )
        else:
            approvals.reject_request(
                request=pending, actor=request.user, reason=request.POST.get("note", "")
            )
            messages.success(request, "Rejected: nothing changed.")
    except DomainValidationError as err:
        messages.error(request, err.message)
    return redirect("writeoffs:list")
