"""Cash pages: the payment list, recording a payment, and the page of a payment or of a
credit note's credit on account, where it is applied to invoices, applications are
reversed and what is left is refunded. Credit on account moves like cash, with the same
rights (apply_payment, refund_payment).

Views check the role's permission, read through billing.selectors.cash and write only
through billing.services (via billing.forms_cash). A DomainValidationError lands on the
form field it names (or at the top of the form), the page comes back with what was
typed, and nothing is saved: each service is one transaction."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.filters import PaymentFilter
from billing.forms_cash import (
    ApplyForm,
    RecordPaymentForm,
    RefundForm,
    ReverseApplicationForm,
)
from billing.models import (
    CreditApplication,
    CreditNote,
    Payment,
    PaymentApplication,
    PaymentMethod,
)
from billing.search.pick import pick_customers
from billing.selectors import cash as selectors
from core import list_exports
from core.confirmation import FIELD as CONFIRMATION_FIELD
from core.confirmation import NOTICES as CONFIRMATION_NOTICES
from core.confirmation import Verdict, check_confirmation, confirmation_token
from core.money import format_money
from core.pagination import EstimatedCountPaginator
from core.permissions import require
from ordermgmt.models import Account

PAYMENTS_PER_PAGE = 50

VIEW = "billing.view_payment"
RECORD = "billing.add_payment"
APPLY = "billing.apply_payment"
REFUND = "billing.refund_payment"


# --- Pages ------------------------------------------------------------------------------------


EXPORT = "collections_app.export_finance_reports"
PAYMENT_COLUMNS = [
    list_exports.Column("received_date", lambda p: p.received_date),
    list_exports.Column("account_id", lambda p: p.account_id),
    list_exports.Column("account", lambda p: p.account.legal_name),
    list_exports.Column("method", lambda p: p.method),
    list_exports.Column("reference", lambda p: p.reference),
    list_exports.Column("processor_id", lambda p: p.external_id or ""),
    list_exports.Column("currency", lambda p: p.currency),
    list_exports.Column("amount", lambda p: list_exports.plain_amount(p.amount, p.currency)),
    list_exports.Column(
        "applied", lambda p: list_exports.plain_amount(p.applied_amount, p.currency)
    ),
    list_exports.Column(
        "refunded", lambda p: list_exports.plain_amount(p.refunded_amount, p.currency)
    ),
    list_exports.Column(
        "unapplied", lambda p: list_exports.plain_amount(p.unapplied_amount, p.currency)
    ),
]


def payment_filterset(request) -> PaymentFilter:
    return PaymentFilter(request.GET or None, queryset=selectors.payments_for_list_base())


@require(VIEW)
def payment_list(request):
    filterset = payment_filterset(request)
    page = EstimatedCountPaginator(filterset.qs, PAYMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/cash/payment_list.html",
        {
            "form": filterset.form,
            "page": page,
            "page_query": query.urlencode(),
            "sort": request.GET.get("sort", ""),
            "rows": selectors.payment_rows(page.object_list),
            "can_export": request.user.has_perm(EXPORT),
        },
    )


@require(VIEW, EXPORT)
def payment_export(request):
    return list_exports.csv_response(
        user=request.user, report="payments", filterset=payment_filterset(request),
        columns=PAYMENT_COLUMNS,
    )  # fmt: skip


@require(VIEW, RECORD)
def payment_record(request):
    if request.method != "POST":
        initial = {}
        account_id = request.GET.get("account", "")
        account = Account.objects.filter(pk=account_id).first() if account_id.isdigit() else None
        if account is not None:
            initial = {"account": account, "currency": account.default_currency}
        form = RecordPaymentForm(initial=initial)
        return render(request, "billing/cash/payment_record.html", {"form": form})
    form = RecordPaymentForm(request.POST)
    payment = form.run(request.user)
    if payment is None:
        return render(request, "billing/cash/payment_record.html", {"form": form}, status=400)
    messages.success(
        request,
        f"Recorded {payment.get_method_display()} {payment.reference}: "
        f"{format_money(payment.amount, payment.currency)} from {payment.account.legal_name}.",
    )
    return redirect("billing:payment_detail", payment.pk)


@require(VIEW, RECORD)
def payment_customer_lookup(request):
    """The record-payment form's type-ahead: customers matching `q`, at most 20."""
    choices, more = pick_customers(request.GET.get("q", ""))
    return JsonResponse({"results": [dataclasses.asdict(c) for c in choices], "more": more})


def _moves_context(request, source, detail, bound: dict[str, forms.Form]) -> dict:
    """The apply, reverse and refund forms of a payment or a credit note's page; `bound`
    holds the submitted form (by prefix) that was refused, shown in place of its blank
    twin with the user's input and the errors."""
    user = request.user
    can_apply, can_refund = user.has_perm(APPLY), user.has_perm(REFUND)
    is_credit = isinstance(source, CreditNote)

    apply_form = None
    if can_apply and (detail.has_unapplied or "apply" in bound):
        apply_form = bound.get("apply") or ApplyForm(
            source=source, invoices=selectors.open_invoice_rows(source), prefix="apply"
        )
    application_rows = []
    for line in detail.applications:
        prefix = f"reverse-{line.application.pk}"
        reverse_form = None
        if can_apply and (line.can_reverse or prefix in bound):
            reverse_form = bound.get(prefix) or ReverseApplicationForm(
                application=line.application, prefix=prefix
            )
        application_rows.append((line, reverse_form))
    refund_form = None
    if can_refund and (detail.has_unapplied or "refund" in bound):
        refund_form = bound.get("refund") or RefundForm(source=source, prefix="refund")
    name = "credit_note" if is_credit else "payment"
    return {
        "detail": detail,
        "currency": source.currency,
        "application_rows": application_rows,
        "apply_form": apply_form,
        "refund_form": refund_form,
        "can_apply": can_apply,
        "can_refund": can_refund,
        "apply_url": reverse(f"billing:{name}_apply", args=[source.pk]),
        "refund_url": reverse(f"billing:{name}_refund_confirm", args=[source.pk]),
        "reverse_url_name": "billing:credit_application_reverse"
        if is_credit
        else "billing:application_reverse",
        "what": "credit" if is_credit else "cash",
    }


def _payment_page(request, payment: Payment, bound: dict[str, forms.Form] | None = None):
    bound = bound or {}
    context = _moves_context(request, payment, selectors.payment_detail(payment), bound)
    return render(
        request,
        "billing/cash/payment_detail.html",
        {"payment": payment, **context},
        status=400 if bound else 200,
    )


def _payment_or_404(pk: int) -> Payment:
    try:
        return selectors.payment_with_related(pk)
    except Payment.DoesNotExist as err:
        raise Http404("No such payment") from err


@require(VIEW)
def payment_detail(request, pk: int):
    return _payment_page(request, _payment_or_404(pk))


def _applied_message(applications: list, currency: str) -> str:
    total = sum((a.amount for a in applications), Decimal(0))
    numbers = ", ".join(a.invoice.number or f"#{a.invoice_id}" for a in applications)
    return f"Applied {format_money(total, currency)} to {numbers}."


@require(VIEW, APPLY)
@require_POST
def payment_apply(request, pk: int):
    payment = get_object_or_404(Payment, pk=pk)
    invoices = selectors.open_invoice_rows(
        payment, extra_ids=ApplyForm.posted_invoice_ids(request.POST, "apply")
    )
    form = ApplyForm(request.POST, source=payment, invoices=invoices, prefix="apply")
    applications = form.run(request.user)
    if applications is None:
        return _payment_page(request, _payment_or_404(pk), {"apply": form})
    if applications:
        messages.success(request, _applied_message(applications, payment.currency))
    else:
        messages.warning(
            request, "Nothing was applied: no open invoice in this currency could take it."
        )
    return redirect("billing:payment_detail", payment.pk)


@require(VIEW, APPLY)
@require_POST
def application_reverse(request, pk: int):
    application = get_object_or_404(
        PaymentApplication.objects.select_related("payment", "invoice"), pk=pk
    )
    prefix = f"reverse-{application.pk}"
    form = ReverseApplicationForm(request.POST, application=application, prefix=prefix)
    reversal = form.run(request.user)
    payment_id = application.payment_id
    if reversal is None:
        return _payment_page(request, _payment_or_404(payment_id), {prefix: form})
    messages.success(
        request,
        f"Reversed {format_money(-reversal.amount, application.payment.currency)} from "
        f"{application.invoice.number}; it is unapplied cash again.",
    )
    return redirect("billing:payment_detail", payment_id)


@require(VIEW, REFUND)
@require_POST
def payment_refund(request, pk: int):
    payment = get_object_or_404(Payment, pk=pk)
    unconfirmed = _refund_unconfirmed(
        request,
        payment,
        lambda bound: _payment_page(request, _payment_or_404(pk), bound),
        request.path,
    )
    if unconfirmed is not None:
        return unconfirmed
    form = RefundForm(request.POST, source=payment, prefix="refund")
    refund = form.run(request.user)
    if refund is None:
        return _payment_page(request, _payment_or_404(pk), {"refund": form})
    messages.success(
        request, f"Refunded {format_money(refund.amount, payment.currency)} ({refund.reference})."
    )
    return redirect("billing:payment_detail", payment.pk)


# --- Credit on account (a credit note's page) -----------------------------------------------


def _credit_note_page(request, note: CreditNote, bound: dict[str, forms.Form] | None = None):
    bound = bound or {}
    context = _moves_context(request, note, selectors.credit_note_detail(note), bound)
    return render(
        request,
        "billing/cash/credit_note_detail.html",
        {
            "note": note,
            "total": format_money(note.total_amount, note.currency),
            "to_invoice": format_money(note.applied_to_invoice_amount, note.currency),
            **context,
        },
        status=400 if bound else 200,
    )


def _credit_note_or_404(pk: int) -> CreditNote:
    try:
        return selectors.credit_note_with_related(pk)
    except CreditNote.DoesNotExist as err:
        raise Http404("No such credit note") from err


@require("billing.view_creditnote")
def credit_note_detail(request, pk: int):
    return _credit_note_page(request, _credit_note_or_404(pk))


@require("billing.view_creditnote", APPLY)
@require_POST
def credit_note_apply(request, pk: int):
    note = _credit_note_or_404(pk)
    invoices = selectors.open_invoice_rows(
        note, extra_ids=ApplyForm.posted_invoice_ids(request.POST, "apply")
    )
    form = ApplyForm(request.POST, source=note, invoices=invoices, prefix="apply")
    applications = form.run(request.user)
    if applications is None:
        return _credit_note_page(request, _credit_note_or_404(pk), {"apply": form})
    messages.success(request, _applied_message(applications, note.currency))
    return redirect("billing:credit_note_detail", note.pk)


@require("billing.view_creditnote", APPLY)
@require_POST
def credit_application_reverse(request, pk: int):
    application = get_object_or_404(
        CreditApplication.objects.select_related("credit_note", "invoice"), pk=pk
    )
    prefix = f"reverse-{application.pk}"
    form = ReverseApplicationForm(request.POST, application=application, prefix=prefix)
    reversal = form.run(request.user)
    note_id = application.credit_note_id
    if reversal is None:
        return _credit_note_page(request, _credit_note_or_404(note_id), {prefix: form})
    messages.success(
        request,
        f"Reversed {format_money(-reversal.amount, application.credit_note.currency)} from "
        f"{application.invoice.number}; it is credit on account again.",
    )
    return redirect("billing:credit_note_detail", note_id)


@require("billing.view_creditnote", REFUND)
@require_POST
def credit_note_refund(request, pk: int):
    note = _credit_note_or_404(pk)
    unconfirmed = _refund_unconfirmed(
        request,
        note,
        lambda bound: _credit_note_page(request, _credit_note_or_404(pk), bound),
        request.path,
    )
    if unconfirmed is not None:
        return unconfirmed
    form = RefundForm(request.POST, source=note, prefix="refund")
    refund = form.run(request.user)
    if refund is None:
        return _credit_note_page(request, _credit_note_or_404(pk), {"refund": form})
    messages.success(
        request, f"Refunded {format_money(refund.amount, note.currency)} ({refund.reference})."
    )
    return redirect("billing:credit_note_detail", note.pk)


# --- Refund confirmation -----------------------------------------------------------------------


def _refund_effect(source: Payment | CreditNote, data: dict) -> dict:
    """What the confirmation shows and signs: a change of any of it asks again."""
    return {
        "amount": data["amount"],
        "reference": data["reference"],
        "reason": data["reason"],
        "unapplied_before": source.unapplied_amount,
    }


def _refund_unconfirmed(request, source: Payment | CreditNote, page, done_url: str):
    """None when the posted token confirms the refund as it would be now; else the new
    confirmation (nothing done). Input the form refuses is left to the refund to refuse."""
    form = RefundForm(request.POST, source=source, prefix="refund")
    if not form.is_valid():
        return None
    verdict = check_confirmation(
        request.POST.get(CONFIRMATION_FIELD),
        action="refund",
        record=source,
        user=request.user,
        effect=_refund_effect(source, form.cleaned_data),
    )
    if verdict == Verdict.CONFIRMED:
        return None
    return _refund_confirmation(request, source, page, done_url, CONFIRMATION_NOTICES[verdict])


def _refund_confirmation(
    request, source: Payment | CreditNote, page, done_url: str, notice: str | None = None
):
    """Shows what a refund does before it is made; the confirm button posts to the refund
    itself with the signed effect. Refused input goes back to the page on its field."""
    from billing.services.payments import check_refund
    from core.errors import DomainValidationError

    form = RefundForm(request.POST, source=source, prefix="refund")
    if form.is_valid():
        data = form.cleaned_data
        try:
            check_refund(
                amount=data["amount"],
                currency=source.currency,
                available=source.unapplied_amount,
                what="this payment" if isinstance(source, Payment) else "this credit",
                reference=data["reference"],
                reason=data["reason"],
            )
        except DomainValidationError as err:
            form.add_error(
                err.field if err.field in form.fields else None,
                forms.ValidationError(err.message, code=err.code),
            )
    if not form.is_valid():
        return page({"refund": form})
    amount = form.cleaned_data["amount"]
    by_stripe = isinstance(source, Payment) and source.method == PaymentMethod.STRIPE
    return render(
        request,
        "billing/cash/refund_confirm.html",
        {
            "source": source,
            "form": form,
            "what": "cash" if isinstance(source, Payment) else "credit",
            "amount": format_money(amount, source.currency),
            "unapplied_before": format_money(source.unapplied_amount, source.currency),
            "unapplied_after": format_money(source.unapplied_amount - amount, source.currency),
            "stripe": (
                "Nothing is sent to Stripe: refund the charge in Stripe as well."
                if by_stripe
                else "Nothing: the refund is paid out from the bank; this records it."
            ),
            "refund_url": done_url,
            "back_url": request.path.rsplit("refund/", 1)[0],
            "confirmation": confirmation_token(
                action="refund",
                record=source,
                user=request.user,
                effect=_refund_effect(source, form.cleaned_data),
            ),
            "notice": notice,
        },
        status=409 if notice else 200,
    )


@require(VIEW, REFUND)
@require_POST
def payment_refund_confirm(request, pk: int):
    payment = get_object_or_404(Payment, pk=pk)
    return _refund_confirmation(
        request,
        payment,
        lambda bound: _payment_page(request, _payment_or_404(pk), bound),
        reverse("billing:payment_refund", args=[pk]),
    )


@require("billing.view_creditnote", REFUND)
@require_POST
def credit_note_refund_confirm(request, pk: int):
    note = _credit_note_or_404(pk)
    return _refund_confirmation(
        request,
        note,
        lambda bound: _credit_note_page(request, _credit_note_or_404(pk), bound),
        reverse("billing:credit_note_refund", args=[pk]),
    )
