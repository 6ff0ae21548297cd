"""The home page: the commercial overview every role gets, plus the panels of its roles."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from config.home import figures
from ordermgmt import roles
from ordermgmt.views import home_context

FINANCE_PERMISSIONS = (
    "billing.view_invoice",
    "billing.view_payment",
    "collections_app.view_finance_reports",
)


@login_required
def home(request):
    context = home_context(request)
    user = request.user
    names = set(context["user_roles_shown"])
    panels = []
    if names & {roles.FINANCE, roles.ADMIN, roles.AUDITOR} and user.has_perms(FINANCE_PERMISSIONS):
        panels.append(("finance", figures.finance_panel(timezone.localdate())))
    if names & {roles.ORDER_SPECIALIST, roles.ADMIN}:
        panels.append(("specialist", figures.specialist_panel(user)))
    if names & {roles.DEAL_DESK, roles.ADMIN} and user.has_perm("ordermgmt.view_dealdeskreview"):
        panels.append(("dealdesk", figures.deal_desk_panel()))
    context["panels"] = panels
    return render(request, "console/home.html", context)
