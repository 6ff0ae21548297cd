"""Deal desk pages: the review queue, one review with its decision forms, metrics, rules.

Reading needs `ordermgmt.view_dealdeskreview`; approving and rejecting need
`ordermgmt.approve_contract` (the same permission as the admin button and the API);
commenting is open to whoever takes part in a deal (submit or approve permission).
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainValidationError
from ordermgmt import services
from ordermgmt.dealdesk import selectors
from ordermgmt.dealdesk.charts import column_chart, row_chart
from ordermgmt.dealdesk.filters import (
    DEFAULT_SORT,
    QUEUE_SORTS,
    SORT_LABELS,
    DealDeskReviewFilter,
)
from ordermgmt.models import (
    Contract,
    ContractStatus,
    DealDeskReview,
    DealDeskRule,
    ReviewStatus,
)
from ordermgmt.services.dealdesk import approval_refusal, latest_review

VIEW_PERMISSION = "ordermgmt.view_dealdeskreview"
DECIDE_PERMISSION = "ordermgmt.approve_contract"
COMMENT_PERMISSIONS = ("ordermgmt.approve_contract", "ordermgmt.submit_contract")
PER_PAGE = 50
# The filters the queue's form shows; the API's other names are carried along unchanged.
PAGE_FILTERS = ("status", "flag", "owner", "age", "currency", "min_value", "max_value", "overdue")


def deal_desk_page(view):
    """Login, then the view permission: 403 for a signed-in user without it."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm(VIEW_PERMISSION):
            raise PermissionDenied("Deal desk pages need the deal desk view permission.")
        return view(request, *args, **kwargs)

    return wrapped


def queue_filterset(request) -> DealDeskReviewFilter:
    """The queue's filters (the API's FilterSet); a missing status reads as open."""
    data = request.GET.copy()
    if not data.get("status"):
        data["status"] = ReviewStatus.OPEN
    reviews = selectors.reviews_for_list().prefetch_related("flags")
    return DealDeskReviewFilter(data, queryset=reviews)


class DecisionForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
        required=False,  # the service refuses an empty comment, with its own message
    )


def _without(query, *names: str) -> str:
    query = query.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@require_GET
@deal_desk_page
def queue(request):
    filterset = queue_filterset(request)
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    query = _without(request.GET, "page", "sort")
    current = request.GET.get("sort", "")
    if filterset.form.errors.get("sort") or current.lstrip("-") not in QUEUE_SORTS:
        current = DEFAULT_SORT
    sort_links = {
        key: {
            "query": f"{query}&sort={'-' if current == key else ''}{key}".lstrip("&"),
            "label": label,
            "active": current.lstrip("-") == key,
            "descending": current == f"-{key}",
        }
        for key, label in SORT_LABELS.items()
    }
    return render(
        request,
        "dealdesk/queue.html",
        {
            "form": filterset.form,
            "page_fields": [filterset.form[name] for name in PAGE_FILTERS],
            "carried": [
                (name, request.GET[name])
                for name in filterset.filters
                if name not in {*PAGE_FILTERS, "sort"} and request.GET.get(name)
            ],
            "page": page,
            "now": timezone.now(),
            "sort_links": sort_links,
            "sort": current,
            "page_query": _without(request.GET, "page"),
        },
    )


def _review_page(request, review: DealDeskReview, forms_by_name=None, status: int = 200):
    summary = selectors.review_summary(review)
    review = summary.review
    can_decide = request.user.has_perm(DECIDE_PERMISSION) and review.is_open
    refusal = approval_refusal(review=review, actor=request.user) if can_decide else None
    forms_by_name = forms_by_name or {}
    return render(
        request,
        "dealdesk/review.html",
        {
            "summary": summary,
            "review": review,
            "contract": summary.contract,
            "facts": summary.facts,
            "overdue": review.is_overdue(),
            "can_decide": can_decide,
            "approval_refusal": refusal.message if refusal else "",
            "can_comment": any(request.user.has_perm(p) for p in COMMENT_PERMISSIONS),
            "approve_form": forms_by_name.get("approve", DecisionForm(prefix="approve")),
            "reject_form": forms_by_name.get("reject", DecisionForm(prefix="reject")),
            "comment_form": forms_by_name.get("comment", DecisionForm(prefix="comment")),
        },
        status=status,
    )


@require_GET
@deal_desk_page
def review_detail(request, pk: int):
    return _review_page(request, get_object_or_404(DealDeskReview, pk=pk))


@require_GET
@deal_desk_page
def contract_review(request, contract_id: int):
    """The latest review of a contract (the admin's contract page links here)."""
    contract = get_object_or_404(Contract, pk=contract_id)
    review = latest_review(contract)
    if review is None:
        messages.info(request, f"{contract.reference} has not been submitted to deal desk yet.")
        return redirect("dealdesk:queue")
    return redirect(review)


@require_POST
@deal_desk_page
def decide(request, pk: int, decision: str):
    if decision not in {"approve", "reject"} or not request.user.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied("Approving and rejecting need the deal desk approve permission.")
    review = get_object_or_404(DealDeskReview, pk=pk)
    form = DecisionForm(request.POST, prefix=decision)
    form.is_valid()
    service = services.approve_contract if decision == "approve" else services.reject_contract
    try:
        contract = service(
            contract=review.contract,
            actor=request.user,
            comment=form.cleaned_data.get("comment", ""),
            review=review,
        )
    except DomainValidationError as err:
        if err.field == "comment":
            form.add_error("comment", err.message)
            return _review_page(request, review, {decision: form}, status=400)
        messages.error(request, err.message)
        return redirect(review)
    if decision == "reject":
        messages.success(request, f"{contract.reference} rejected and sent back to draft.")
    elif contract.status == ContractStatus.APPROVED:
        messages.success(request, f"{contract.reference} approved.")
    else:
        review.refresh_from_db()
        messages.success(
            request,
            f"Approval recorded for {contract.reference}; it needs "
            f"{review.required_approvals} distinct approvers.",
        )
    return redirect(review)


@require_POST
@deal_desk_page
def comment(request, pk: int):
    if not any(request.user.has_perm(p) for p in COMMENT_PERMISSIONS):
        raise PermissionDenied("Commenting needs the submit or approve permission.")
    review = get_object_or_404(DealDeskReview, pk=pk)
    form = DecisionForm(request.POST, prefix="comment")
    form.is_valid()
    try:
        services.comment_on_review(
            review=review, actor=request.user, comment=form.cleaned_data.get("comment", "")
        )
    except DomainValidationError as err:
        form.add_error("comment", err.message)
        return _review_page(request, review, {"comment": form}, status=400)
    messages.success(request, "Comment added.")
    return redirect(review)


@require_GET
@deal_desk_page
def metrics(request):
    stats = selectors.deal_desk_metrics(today=timezone.localdate())
    weekly = column_chart(
        "Reviews opened per week",
        [(f"{w.week_start:%d %b}", w.opened, str(w.opened)) for w in stats.weeks],
    )
    timing = column_chart(
        "Median hours to decision, by week of decision",
        [
            (f"{w.week_start:%d %b}", w.median_hours, f"{w.median_hours:.0f}" if w.decided else "")
            for w in stats.weeks
        ],
        empty=stats.decided == 0,
    )
    rates = row_chart(
        "Approval rate per flag type",
        [
            (t.label, t.approval_rate, f"{t.approval_rate:.0f}% of {t.decided}")
            for t in stats.flag_types
        ],
        maximum=100,
    )
    return render(
        request,
        "dealdesk/metrics.html",
        {"stats": stats, "charts": [weekly, timing, rates]},
    )


@require_GET
@deal_desk_page
def rules(request):
    return render(
        request,
        "dealdesk/rules.html",
        {
            "rules": DealDeskRule.objects.all(),
            "can_edit": request.user.has_perm("ordermgmt.change_dealdeskrule"),
        },
    )
