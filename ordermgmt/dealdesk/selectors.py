"""Reads for the deal desk dashboard and API: the queue, one review, the metrics."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ordermgmt.models import (
    DealDeskDecision,
    DealDeskReview,
    DecisionKind,
    ReviewStatus,
    ReviewTrigger,
    RuleType,
)
from ordermgmt.models.dealdesk import DECIDED_STATUSES

from .valuation import DealFacts, deal_facts


def reviews_for_list() -> QuerySet:
    """What the queue page and the API list filter (ordermgmt.dealdesk.filters), with the
    counts both show and sort by, in SLA order."""
    return (
        DealDeskReview.objects.select_related(
            "contract__account", "contract__owner", "submitted_by"
        )
        .annotate(
            flag_count=Count("flags", distinct=True),
            approval_count=Count(
                "decisions", filter=Q(decisions__kind=DecisionKind.APPROVE), distinct=True
            ),
        )
        .order_by("sla_due_at", "id")
    )


def open_review_counts(*, now: datetime | None = None) -> tuple[int, int]:
    """(open reviews, of which past their SLA), for the home page."""
    now = now or timezone.now()
    open_reviews = DealDeskReview.objects.filter(status=ReviewStatus.OPEN)
    return open_reviews.count(), open_reviews.filter(sla_due_at__lt=now).count()


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: object | None
    what: str
    comment: str = ""
    kind: str = ""


@dataclass
class ReviewSummary:
    review: DealDeskReview
    facts: DealFacts
    flags: list  # stored DealDeskFlag rows, or live Flags for a backfilled review
    flags_are_live: bool
    approvals: int
    timeline: list[TimelineEntry]
    other_reviews: list[DealDeskReview] = field(default_factory=list)

    @property
    def contract(self):
        return self.review.contract


def _timeline(review: DealDeskReview, decisions: list[DealDeskDecision]) -> list[TimelineEntry]:
    opened = {
        ReviewTrigger.SUBMITTED: "Submitted; review opened",
        ReviewTrigger.CHANGED: "Flagged term changed; review re-opened",
        ReviewTrigger.BACKFILL: "Pending before the deal desk rules; review opened",
    }[review.trigger]
    if review.status == ReviewStatus.AUTO_APPROVED:
        opened = "Submitted; nothing flagged, approved automatically"
    entries = [TimelineEntry(review.opened_at, review.submitted_by, opened, kind="opened")]
    entries += [
        TimelineEntry(d.created_at, d.actor, d.get_kind_display(), d.comment, kind=d.kind)
        for d in decisions
    ]
    if review.status in {ReviewStatus.SUPERSEDED, ReviewStatus.WITHDRAWN} and review.decided_at:
        entries.append(
            TimelineEntry(review.decided_at, None, review.get_status_display(), kind="closed")
        )
    return sorted(entries, key=lambda e: e.at)


def review_summary(review: DealDeskReview) -> ReviewSummary:
    from ordermgmt.services.dealdesk import evaluate_contract

    review = (
        DealDeskReview.objects.select_related(
            "contract__account", "contract__owner", "submitted_by"
        )
        .prefetch_related("flags__rule")
        .get(pk=review.pk)
    )
    decisions = list(review.decisions.select_related("actor"))
    flags: list = list(review.flags.all())
    live = review.trigger == ReviewTrigger.BACKFILL and not flags
    if live:
        facts, flags = evaluate_contract(review.contract)
    else:
        facts = deal_facts(review.contract)
    return ReviewSummary(
        review=review,
        facts=facts,
        flags=flags,
        flags_are_live=live,
        approvals=sum(1 for d in decisions if d.kind == DecisionKind.APPROVE),
        timeline=_timeline(review, decisions),
        other_reviews=list(
            review.contract.deal_desk_reviews.exclude(pk=review.pk)
            .annotate(flag_count=Count("flags"))
            .order_by("-opened_at")
        ),
    )


# --- Metrics -------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekStat:
    week_start: date
    opened: int
    decided: int
    median_hours: Decimal | None


@dataclass(frozen=True)
class FlagTypeStat:
    rule_type: str
    label: str
    decided: int
    approved: int

    @property
    def approval_rate(self) -> Decimal:
        return (Decimal(self.approved) * 100 / self.decided) if self.decided else Decimal(0)


@dataclass
class DealDeskMetrics:
    weeks: list[WeekStat]
    median_hours: Decimal | None
    decided: int
    approved: int
    auto_approved: int
    flag_types: list[FlagTypeStat]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median(values: list[float]) -> Decimal | None:
    if not values:
        return None
    return Decimal(str(statistics.median(values))).quantize(Decimal("0.1"))


def deal_desk_metrics(*, today: date, weeks: int = 12) -> DealDeskMetrics:
    """Reviews opened and decided per ISO week (Monday start) for the last `weeks` weeks,
    the median hours from opening to decision, and the approval rate per flag type.
    Auto-approved submissions are counted apart: nobody reviewed them."""
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    since = timezone.make_aware(datetime.combine(first_week, datetime.min.time()))
    in_window = DealDeskReview.objects.filter(Q(opened_at__gte=since) | Q(decided_at__gte=since))
    reviewed = list(in_window.exclude(status=ReviewStatus.AUTO_APPROVED).prefetch_related("flags"))

    def week_of(moment: datetime) -> date:
        day = timezone.localtime(moment).date()
        return day - timedelta(days=day.weekday())

    opened: dict[date, int] = defaultdict(int)
    durations: dict[date, list[float]] = defaultdict(list)
    decided_reviews = []
    for review in reviewed:
        if review.opened_at >= since:
            opened[week_of(review.opened_at)] += 1
        if review.status in DECIDED_STATUSES and review.decided_at and review.decided_at >= since:
            durations[week_of(review.decided_at)].append(
                _hours(review.decided_at - review.opened_at)
            )
            decided_reviews.append(review)
    week_stats = [
        WeekStat(
            week_start=start,
            opened=opened.get(start, 0),
            decided=len(durations.get(start, [])),
            median_hours=_median(durations.get(start, [])),
        )
        for start in (first_week + timedelta(weeks=n) for n in range(weeks))
    ]
    per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for review in decided_reviews:
        for rule_type in {f.rule_type for f in review.flags.all()}:
            per_type[rule_type][0] += 1
            per_type[rule_type][1] += review.status == ReviewStatus.APPROVED
    return DealDeskMetrics(
        weeks=week_stats,
        median_hours=_median([h for values in durations.values() for h in values]),
        decided=len(decided_reviews),
        approved=sum(1 for r in decided_reviews if r.status == ReviewStatus.APPROVED),
        auto_approved=in_window.filter(
            status=ReviewStatus.AUTO_APPROVED, opened_at__gte=since
        ).count(),
        flag_types=[
            FlagTypeStat(t.value, t.label, per_type[t.value][0], per_type[t.value][1])
            for t in RuleType
            if t.value in per_type
        ],
    )
