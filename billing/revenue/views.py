"""Revenue pages under /revenue/: the waterfall (home), the deferred revenue roll-forward,
contract balances, one contract's revenue, and the exports. Pages need
`revenue.view_revenue_reports`, exports `revenue.export_revenue_reports` (each logged),
actions their own permission; writes go through billing.revenue.services."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainValidationError
from core.money import minor_unit
from core.permissions import require
from ordermgmt.models import Contract

from . import exports, services
from .charts import bridge_chart, waterfall_chart
from .forms import DeliveryForm, ModificationForm, ReportForm
from .journal import revenue_journal
from .models import (
    ContractModification,
    Delivery,
    PerformanceObligation,
    RevenueAllocation,
    RevenueException,
    RevenueSchedule,
    RevenueScheduleLine,
)
from .selectors import (
    Scope,
    billing_documents,
    contract_balance,
    contract_balances,
    currencies_in_use,
    deferred_revenue_rollforward,
    open_exceptions,
    revenue_waterfall,
)
from .selectors.paged import balances_page, rollforward_page, waterfall_page

VIEW = "revenue.view_revenue_reports"
EXPORT = "revenue.export_revenue_reports"
ROWS_ON_PAGE = 200
CSS = "ledgerline/revenue.css"


def amount_text(value: Decimal | None, currency: str) -> str:
    if value is None:
        return "—"
    places = minor_unit(currency)
    return f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"


def _page_number(request) -> int:
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() else 1


def _params(request) -> tuple[ReportForm, dict]:
    currencies = currencies_in_use()
    form = ReportForm(request.GET or None)
    params = form.params(currencies[0] if currencies else "USD")
    return form, params


def _query(params: dict) -> str:
    return urlencode(
        {
            "as_of": params["as_of"].isoformat(),
            "start": params["start"].isoformat(),
            "months": params["months"],
            "currency": params["currency"],
        }
    )


def _context(request, active: str, form, params) -> dict:
    return {
        "form": form,
        "params": params,
        "query": _query(params),
        "currencies": currencies_in_use(),
        "active": active,
        "can_export": request.user.has_perm(EXPORT),
        "css": CSS,
        "exception_count": open_exceptions().count(),
    }


@require_GET
@require(VIEW)
def waterfall(request):
    form, params = _params(request)
    shown = waterfall_page(
        as_of=params["as_of"],
        currency=params["currency"],
        start=params["start"],
        months=params["months"],
        page=_page_number(request),
        page_size=ROWS_ON_PAGE,
    )
    report = shown.report
    currency = report.currency
    before, columns, after, total = shown.before, shown.columns, shown.after, shown.total
    flags = report.recognised_months
    chart = waterfall_chart(
        [m.strftime("%b %y") for m in report.months], columns, flags, currency=currency
    )
    context = _context(request, "waterfall", form, params)
    context.update(
        {
            "report": report,
            "page": shown.paging,
            "chart": chart,
            "months": [
                {"label": m.strftime("%b %Y"), "recognised": done}
                for m, done in zip(report.months, flags, strict=True)
            ],
            "rows": [
                {
                    "contract_id": r.contract_id,
                    "reference": r.reference,
                    "account": r.account_name,
                    "product": r.product,
                    "before": amount_text(r.before, currency),
                    "cells": [
                        {"text": amount_text(v, currency), "scheduled": not done}
                        for v, done in zip(r.months, flags, strict=True)
                    ],
                    "after": amount_text(r.after, currency),
                    "total": amount_text(r.total, currency),
                }
                for r in report.rows
            ],
            "totals": {
                "before": amount_text(before, currency),
                "cells": [amount_text(v, currency) for v in columns],
                "after": amount_text(after, currency),
                "total": amount_text(total, currency),
            },
        }
    )
    return render(request, "revenue/waterfall.html", context)


@require_GET
@require(VIEW)
def rollforward(request):
    form, params = _params(request)
    start = params["start"]
    end = params["as_of"]
    if end < start:
        start = end.replace(day=1)
        params["start"] = start
    report = rollforward_page(
        start=start,
        end=end,
        currency=params["currency"],
        page=_page_number(request),
        page_size=ROWS_ON_PAGE,
    )
    totals = report.totals
    currency = params["currency"]
    chart = bridge_chart(
        totals["opening"],
        totals["billed"],
        totals["recognised"],
        totals["refund_change"],
        totals["closing"],
        currency=currency,
    )
    context = _context(request, "rollforward", form, params)
    context.update(
        {
            "report": report,
            "page": report.paging,
            "chart": chart,
            "totals": {k: amount_text(v, currency) for k, v in totals.items()},
            "rows": [
                {
                    "contract_id": r.contract_id,
                    "reference": r.reference,
                    "account": r.account_name,
                    **{
                        name: amount_text(getattr(r, name), currency)
                        for name in (
                            "opening",
                            "billed",
                            "recognised",
                            "refund_change",
                            "closing",
                            "closing_deferred",
                            "closing_unbilled",
                        )
                    },
                }
                for r in report.rows
            ],
            "show_refund": totals["refund_change"] != 0,
        }
    )
    return render(request, "revenue/rollforward.html", context)


@require_GET
@require(VIEW)
def balances(request):
    form, params = _params(request)
    currency = params["currency"]
    shown = balances_page(
        params["as_of"],
        Scope(currency=currency),
        page=_page_number(request),
        page_size=ROWS_ON_PAGE,
    )
    deferred = shown.totals["contract_liability"]
    unbilled = shown.totals["contract_asset"]
    context = _context(request, "balances", form, params)
    context.update(
        {
            "rows": [
                {
                    "contract_id": b.contract_id,
                    "reference": b.reference,
                    "account": b.account_name,
                    "billed": amount_text(b.billed, currency),
                    "recognised": amount_text(b.recognised, currency),
                    "refund": amount_text(b.refund_liability, currency),
                    "deferred": amount_text(b.deferred_revenue, currency),
                    "unbilled": amount_text(b.unbilled, currency),
                    "position": b.position,
                    "pending": b.revenue_pending,
                }
                for b in shown.rows
            ],
            "page": shown.paging,
            "deferred_total": amount_text(deferred, currency),
            "unbilled_total": amount_text(unbilled, currency),
            "exceptions": list(open_exceptions()[:50]),
        }
    )
    return render(request, "revenue/balances.html", context)


@require_GET
@require(VIEW)
def contract_detail(request, contract_id: int):
    contract = get_object_or_404(Contract.objects.select_related("account"), pk=contract_id)
    form, params = _params(request)
    as_of = params["as_of"]
    currency = contract.currency
    obligations = list(
        PerformanceObligation.objects.filter(accounting_contract=contract)
        .select_related("product", "contract")
        .order_by("contract_id", "number")
    ) or list(PerformanceObligation.objects.filter(contract=contract).select_related("product"))
    schedules = {
        s.obligation_id: s
        for s in RevenueSchedule.objects.filter(obligation__in=obligations, is_current=True)
    }
    # One query each for every obligation's schedule versions and deliveries, not two per
    # obligation.
    history_counts = dict(
        RevenueSchedule.objects.filter(obligation__in=obligations)
        .values_list("obligation_id")
        .annotate(versions=Count("id"))
        .order_by()
    )
    deliveries = defaultdict(list)
    for delivery in Delivery.objects.filter(obligation__in=obligations):
        deliveries[delivery.obligation_id].append(delivery)
    lines = RevenueScheduleLine.objects.filter(schedule__in=schedules.values()).order_by(
        "obligation__number", "recognition_date"
    )
    allocations = list(
        RevenueAllocation.objects.filter(contract=contract).prefetch_related("lines__obligation")
    )
    balance = contract_balance(contract, as_of)
    documents = billing_documents(contract, as_of)
    document_total = sum((d.net_amount for d in documents), Decimal(0))
    user = request.user
    pending_modification = (
        contract.kind == "amendment"
        and contract.status == "active"
        and not ContractModification.objects.filter(amendment=contract).exists()
        and not PerformanceObligation.objects.filter(contract=contract).exists()
    )
    return render(
        request,
        "revenue/contract.html",
        {
            "contract": contract,
            "params": params,
            "form": form,
            "css": CSS,
            "as_of": as_of,
            "obligations": [
                {
                    "obj": o,
                    "schedule": schedules.get(o.pk),
                    "versions": history_counts.get(o.pk, 0),
                    "ssp": amount_text(o.ssp_amount, currency),
                    "allocated": amount_text(o.allocated_amount, currency),
                    "deliveries": deliveries[o.pk],
                }
                for o in obligations
            ],
            "lines": [
                {
                    "obligation": line.obligation,
                    "line": line,
                    "amount": amount_text(line.amount, currency),
                    "cumulative": amount_text(line.cumulative_amount, currency),
                    "recognised": line.recognition_date <= as_of,
                }
                for line in lines.select_related("obligation")
            ],
            "allocations": [
                {
                    "obj": a,
                    "lines": [
                        {
                            "obligation": al.obligation,
                            "ssp": amount_text(al.ssp_amount, currency),
                            "before": amount_text(al.recognised_before, currency),
                            "allocated": amount_text(al.allocated_amount, currency),
                            "total": amount_text(al.total_amount, currency),
                            "basis": al.basis,
                        }
                        for al in a.lines.all()
                    ],
                    "transaction_price": amount_text(a.transaction_price, currency),
                    "allocated": amount_text(a.allocated_amount, currency),
                }
                for a in allocations
            ],
            "balance": balance,
            "balance_text": {
                name: amount_text(getattr(balance, name), currency)
                for name in (
                    "billed",
                    "recognised",
                    "refund_liability",
                    "deferred_revenue",
                    "unbilled",
                    "net_position",
                )
            },
            "documents": [
                {
                    "doc": d,
                    "net": amount_text(d.net_amount, currency),
                    "tax": amount_text(d.tax_amount, currency),
                }
                for d in documents
            ],
            "document_total": amount_text(document_total, currency),
            "reconciled": document_total == balance.billed,
            "exceptions": RevenueException.objects.filter(
                contract=contract, resolved_at__isnull=True
            ),
            "modification": ContractModification.objects.filter(amendment=contract).first(),
            "pending_modification": pending_modification,
            "modification_form": ModificationForm() if pending_modification else None,
            "can_deliver": user.has_perm("revenue.record_delivery"),
            "can_modify": user.has_perm("revenue.account_for_modification"),
            "can_recognise": user.has_perm("revenue.recognise_revenue"),
            "delivery_form": DeliveryForm(initial={"delivered_on": as_of}),
        },
    )


def _back(contract_id: int):
    return redirect("revenue:contract", contract_id=contract_id)


@require_POST
@require("revenue.record_delivery")
def record_delivery(request, contract_id: int):
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Delivery not recorded: " + form.errors.as_text())
        return _back(contract_id)
    obligation = get_object_or_404(
        PerformanceObligation,
        pk=form.cleaned_data["obligation"],
        accounting_contract_id=contract_id,
    )
    try:
        services.record_delivery(
            obligation=obligation,
            delivered_on=form.cleaned_data["delivered_on"],
            quantity=form.cleaned_data["quantity"],
            reference=form.cleaned_data["reference"],
            kind=form.cleaned_data["kind"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Recorded: {obligation.name}, {form.cleaned_data['kind']}.")
    return _back(contract_id)


@require_POST
@require("revenue.account_for_modification")
def account_for_modification(request, contract_id: int):
    contract = get_object_or_404(Contract, pk=contract_id)
    form = ModificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Answer both questions: " + form.errors.as_text())
        return _back(contract_id)
    try:
        modification = services.account_for_modification(
            amendment=contract,
            priced_at_ssp=form.cleaned_data["priced_at_ssp"],
            remaining_goods_distinct=form.cleaned_data["remaining_goods_distinct"],
            effective_date=form.cleaned_data["effective_date"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except DomainValidationError as err:
        messages.error(request, err.message)
        return _back(contract_id)
    messages.success(request, f"Accounted for as: {modification.get_treatment_display()}.")
    return _back(contract_id)


@require_POST
@require("revenue.recognise_revenue")
def recognise(request, contract_id: int):
    contract = get_object_or_404(Contract, pk=contract_id)
    try:
        services.recognise_contract_revenue(contract=contract, actor=request.user)
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Revenue of {contract.reference} built.")
    return _back(contract_id)


@require_GET
@require(VIEW, EXPORT)
def export(request, report: str, file_format: str):
    if report not in exports.REPORTS or file_format not in exports.FORMATS:
        raise Http404("No such export.")
    form, params = _params(request)
    currency = params["currency"]
    as_of = params["as_of"]
    if report == "waterfall":
        table = exports.waterfall_table(
            revenue_waterfall(
                as_of=as_of, currency=currency, start=params["start"], months=params["months"]
            )
        )
        logged = {
            "as_of": as_of.isoformat(),
            "start": params["start"].isoformat(),
            "months": params["months"],
            "currency": currency,
        }
    elif report == "rollforward":
        start = min(params["start"], as_of)
        table = exports.rollforward_table(
            deferred_revenue_rollforward(start=start, end=as_of, currency=currency)
        )
        logged = {"start": start.isoformat(), "end": as_of.isoformat(), "currency": currency}
    elif report == "balances":
        table = exports.balances_table(
            contract_balances(as_of, Scope(currency=currency)), as_of, currency
        )
        logged = {"as_of": as_of.isoformat(), "currency": currency}
    else:
        start = min(params["start"], as_of)
        table = exports.journal_table(
            revenue_journal(start=start, end=as_of, currency=currency), start, as_of
        )
        logged = {"start": start.isoformat(), "end": as_of.isoformat(), "currency": currency}
    name = exports.file_name(report, logged, file_format)
    response = exports.streaming_response(table, file_format, name)
    exports.log_export(
        user=request.user,
        report=report,
        file_format=file_format,
        parameters=logged,
        rows=table.data_rows,
    )
    return response
