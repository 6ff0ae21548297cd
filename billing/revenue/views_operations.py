"""The buttons of the revenue operations card on a contract's revenue page. Each checks
its permission, calls one billing.revenue service and goes back to the page with what
happened (a refusal names the field's problem and changes nothing)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.errors import DomainValidationError
from core.permissions import require
from ordermgmt.models import Contract, ContractChange

from . import services
from .forms_operations import OverrideTreatmentForm, ReestimateForm
from .services.change_orders import override_change_treatment


def _back(contract_id: int):
    return redirect(f"/revenue/contracts/{contract_id}/#revenue-operations")


@require_POST
@require("revenue.recognise_revenue")
def reestimate(request, contract_id: int):
    contract = get_object_or_404(Contract, pk=contract_id)
    form = ReestimateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not re-estimated: " + form.errors.as_text())
        return _back(contract_id)
    try:
        services.reestimate_variable_consideration(
            contract=contract, actor=request.user, **form.cleaned_data
        )
    except DomainValidationError as err:
        messages.error(request, f"Not re-estimated: {err.message}")
    else:
        messages.success(request, "Variable consideration re-estimated; revenue caught up.")
    return _back(contract_id)


@require_POST
@require("revenue.recognise_revenue")
def override_treatment(request, contract_id: int, change_id: int):
    change = get_object_or_404(ContractChange, pk=change_id, contract_id=contract_id)
    form = OverrideTreatmentForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not changed: " + form.errors.as_text())
        return _back(contract_id)
    try:
        record = override_change_treatment(change=change, actor=request.user, **form.cleaned_data)
    except DomainValidationError as err:
        messages.error(request, f"Not changed: {err.message}")
    else:
        messages.success(
            request, f"{change.reference} now accounted for as {record.get_treatment_display()}."
        )
    return _back(contract_id)
