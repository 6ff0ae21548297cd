"""{% revenue_operations contract %}: the revenue operations card of a contract's revenue
page: re-estimate variable consideration (with a required note), rebuild after a revenue
exception, every revenue exception of the contract, and the ASC 606 treatment of each of
its change orders (with Finance's override). The buttons call billing.revenue.services
through billing/revenue/views_operations.py."""

from __future__ import annotations

from django import template
from django.utils import timezone

from billing.revenue.forms_operations import OverrideTreatmentForm, ReestimateForm
from billing.revenue.models import ChangeOrderRevenue, PerformanceObligation, RevenueException

register = template.Library()


@register.inclusion_tag("revenue/_operations.html", takes_context=True)
def revenue_operations(context, contract):
    user = context["request"].user
    can_operate = user.has_perm("revenue.recognise_revenue")
    exceptions = RevenueException.objects.filter(contract=contract).order_by("-raised_at", "-id")
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "contract": contract,
        "can_operate": can_operate,
        "has_revenue": PerformanceObligation.objects.filter(contract=contract).exists(),
        "open_exceptions": [e for e in exceptions if e.resolved_at is None],
        "exceptions": exceptions,
        "reestimate_form": ReestimateForm(initial={"effective_date": timezone.localdate()}),
        "treatments": ChangeOrderRevenue.objects.filter(change__contract=contract)
        .select_related("change", "overridden_by")
        .order_by("-change__created_at", "-id"),
        "override_form": OverrideTreatmentForm(),
    }
