"""A contract's change orders page: the form that makes one (through
ordermgmt.services.make_change_order) and every change order made, each with the credit
and debit lines it put on the schedule and why each amount is what it is."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render

from billing.forms_changes import ChangeOrderForm
from billing.models import BillingScheduleLine, ScheduleLineKind
from core.errors import DomainValidationError
from core.permissions import require
from ordermgmt.models import Contract, ContractChange, ContractStatus
from ordermgmt.services import make_change_order

PRORATION_KINDS = [ScheduleLineKind.PRORATION_CREDIT, ScheduleLineKind.PRORATION_DEBIT]


def change_orders_of(contract: Contract):
    lines = BillingScheduleLine.objects.filter(kind__in=PRORATION_KINDS).order_by(
        "kind", "period_start", "id"
    )
    return (
        ContractChange.objects.filter(contract=contract)
        .select_related("line__product", "new_line__product", "created_by")
        .prefetch_related(Prefetch("schedule_lines", queryset=lines, to_attr="prorations"))
        .order_by("-created_at", "-id")
    )


@require("ordermgmt.view_contractchange", "billing.view_billingscheduleline")
def contract_change_orders(request, pk: int):
    contract = get_object_or_404(Contract.objects.select_related("account"), pk=pk)
    can_change = request.user.has_perm("ordermgmt.change_order_contract")
    form = ChangeOrderForm(contract=contract)
    status = 200
    if request.method == "POST":
        if not can_change:
            return render(request, "403.html", status=403)
        form = ChangeOrderForm(request.POST, contract=contract)
        if form.is_valid():
            try:
                change = make_change_order(
                    contract=contract, change=form.change_input(), actor=request.user
                )
            except DomainValidationError as err:
                form.add_error(err.field if err.field in form.fields else None, err.message)
            else:
                messages.success(request, f"{change.reference} recorded.")
                return redirect(f"{request.path}#change-{change.pk}")
        status = 400
    return render(
        request,
        "billing/change_orders.html",
        {
            "contract": contract,
            "form": form,
            "can_change": can_change and contract.status == ContractStatus.ACTIVE,
            "changes": change_orders_of(contract),
        },
        status=status,
    )
