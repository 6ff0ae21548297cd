"""Reads for the console pages: what needs each role's attention."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from ordermgmt import roles
from ordermgmt.models import Contract, ContractStatus


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


def contracts_by_status() -> list[StatusCount]:
    counts = dict(
        Contract.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return [StatusCount(s.value, s.label, counts.get(s.value, 0)) for s in ContractStatus]


# Which contracts wait for which role: the next move is theirs.
WAITING_FOR_ROLE = {
    roles.ORDER_SPECIALIST: [ContractStatus.DRAFT, ContractStatus.APPROVED],
    roles.DEAL_DESK: [ContractStatus.PENDING_REVIEW],
    roles.FINANCE: [ContractStatus.ACTIVE],
    roles.AUDITOR: [],
    roles.ADMIN: [ContractStatus.PENDING_REVIEW],
}


def contracts_waiting_for(user, *, limit: int = 20) -> QuerySet[Contract]:
    statuses: set[str] = set()
    for role in roles.role_names(user):
        statuses.update(WAITING_FOR_ROLE[role])
    queryset = Contract.objects.filter(status__in=statuses).select_related("account")
    if roles.has_role(user, roles.ORDER_SPECIALIST) and not roles.has_role(
        user, roles.ADMIN, roles.DEAL_DESK
    ):
        # A specialist's own drafts and approvals come first.
        queryset = queryset.order_by("-owner_id", "start_date")
    else:
        queryset = queryset.order_by("start_date")
    return queryset[:limit]
