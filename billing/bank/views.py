"""The matching queue beside the cash pages: import a statement file, then for each
incoming credit confirm a proposal (one click), split it across invoices, record it as
unapplied cash of a customer, or set it aside as not customer cash.

Views check permissions, read through billing.bank.selectors and write only through
billing.bank.services; a DomainValidationError becomes a message and nothing is saved."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from billing.bank import selectors, services
from billing.bank.filters import BankTransactionFilter, queue_page_params
from billing.bank.models import BankTransaction, MatchStatus
from billing.views_cash import require
from core.errors import DomainValidationError
from core.money import format_money
from ordermgmt.models import Account

VIEW = "bank.view_banktransaction"
MATCH = "bank.match_bank_transaction"
IMPORT = "bank.import_statement"
MAX_FILE_BYTES = 20 * 1024 * 1024
PER_PAGE = 50


@require(VIEW)
def queue(request):
    transactions = BankTransactionFilter(
        queue_page_params(request.GET), queryset=selectors.transactions_for_queue()
    )
    page = Paginator(transactions.qs, PER_PAGE).get_page(request.GET.get("page"))
    status = transactions.form.cleaned_data.get("status") or ""
    return render(
        request,
        "billing/bank/queue.html",
        {
            "page": page,
            "status": status,
            "statuses": MatchStatus.choices,
            "statements": selectors.statements_for_list()[:10],
            "share": selectors.matching_share(),
        },
    )


@require(VIEW, IMPORT)
@require_POST
def statement_import(request):
    upload = request.FILES.get("file")
    if upload is None or upload.size > MAX_FILE_BYTES:
        messages.error(request, "Choose a CAMT.053, BAI2 or MT940 file of at most 20 MB.")
        return redirect("bank:queue")
    try:
        result = services.import_bank_statement(
            content=upload.read(), actor=request.user, file_name=upload.name
        )
    except DomainValidationError as err:
        messages.error(request, f"{upload.name} was not imported: {err.message}")
        return redirect("bank:queue")
    messages.success(
        request,
        f"Imported {result.created} new transactions ({result.already_imported} were already "
        f"imported); {result.auto_applied} applied automatically.",
    )
    return redirect("bank:queue")


def _done(request, action):
    try:
        txn = action()
    except DomainValidationError as err:
        messages.error(request, err.message)
        return redirect(request.POST.get("next") or "bank:queue")
    money = format_money(txn.amount, txn.currency)
    messages.success(request, f"{txn.bank_reference}: {money} {txn.get_status_display().lower()}.")
    return redirect(
        request.POST.get("next") if request.POST.get("next", "").startswith("/") else "bank:queue"
    )


@require(VIEW, MATCH)
@require_POST
def confirm(request, pk: int):
    txn = get_object_or_404(BankTransaction, pk=pk)
    suggestion = get_object_or_404(txn.suggestions, pk=request.POST.get("suggestion") or 0)
    return _done(
        request,
        lambda: services.apply_bank_credit(
            transaction=txn, suggestion=suggestion, actor=request.user
        ),
    )


def _account(request, txn) -> Account | None:
    value = request.POST.get("account") or request.GET.get("account") or ""
    if value.isdigit():
        return Account.objects.filter(pk=value).first()
    return txn.account


@require(VIEW, MATCH)
@require_POST
def unapplied(request, pk: int):
    txn = get_object_or_404(BankTransaction, pk=pk)
    account = _account(request, txn)
    return _done(
        request,
        lambda: services.record_unapplied_bank_credit(
            transaction=txn, account=account, actor=request.user
        ),
    )


@require(VIEW, MATCH)
@require_POST
def ignore(request, pk: int):
    txn = get_object_or_404(BankTransaction, pk=pk)
    return _done(
        request,
        lambda: services.ignore_bank_transaction(
            transaction=txn, actor=request.user, reason=request.POST.get("reason", "")
        ),
    )


@require(VIEW, MATCH)
def split(request, pk: int):
    """Allocate a credit across a customer's open invoices by hand; the proposal's amounts
    are filled in, what is not allocated stays unapplied on the payment."""
    txn = get_object_or_404(BankTransaction, pk=pk)
    account = _account(request, txn)
    invoices = selectors.open_invoices_for_split(account, txn.currency) if account else []
    proposed = {}
    top = txn.suggestions.filter(account=account).first() if account else None
    if top is not None:
        proposed = {a.invoice_id: a.amount for a in top.allocations.all()}
    typed, error = {}, None
    if request.method == "POST":
        allocations = []
        for invoice in invoices:
            raw = (request.POST.get(f"amount-{invoice.pk}") or "").strip().replace(",", "")
            typed[invoice.pk] = raw
            if not raw:
                continue
            try:
                amount = Decimal(raw)
            except InvalidOperation:
                error = f"{raw!r} is not an amount ({invoice.number})."
                break
            if amount:
                allocations.append((invoice, amount))
        if error is None:
            try:
                services.split_bank_credit(
                    transaction=txn, account=account, allocations=allocations, actor=request.user
                )
            except DomainValidationError as err:
                error = err.message
            else:
                messages.success(
                    request, f"{txn.bank_reference} applied to {len(allocations)} invoices."
                )
                return redirect("bank:queue")
    rows = [(invoice, typed.get(invoice.pk, proposed.get(invoice.pk, ""))) for invoice in invoices]
    return render(
        request,
        "billing/bank/split.html",
        {
            "txn": txn,
            "account": account,
            "rows": rows,
            "error": error,
        },
        status=400 if error else 200,
    )
