from django.core.exceptions import PermissionDenied

from ordermgmt import roles, selectors
from ordermgmt.dealdesk.selectors import open_review_counts

ROLE_HEADLINES = {
    roles.ORDER_SPECIALIST: "Drafts to submit and approved contracts to activate",
    roles.DEAL_DESK: "Contracts waiting for deal desk review",
    roles.FINANCE: "Active contracts to bill and collect",
    roles.AUDITOR: "Read-only overview of the book",
    roles.ADMIN: "Everything, including users and schedules",
}


def home_context(request) -> dict:
    """The commercial part of every role's home page (config.home adds money and queues)."""
    user_roles = roles.role_names(request.user)
    if not user_roles:
        raise PermissionDenied("This account has no Ledgerline role.")
    deal_desk = None
    if request.user.has_perm("ordermgmt.approve_contract"):
        deal_desk = dict(zip(["open", "overdue"], open_review_counts(), strict=True))
    return {
        "user_roles_shown": user_roles,
        "headlines": [(r, ROLE_HEADLINES[r]) for r in user_roles],
        "status_counts": selectors.contracts_by_status(),
        "waiting": selectors.contracts_waiting_for(request.user),
        "deal_desk": deal_desk,
    }
