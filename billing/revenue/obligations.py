"""Identifying performance obligations (step 2) and their measure of progress (step 5).

- One obligation per distinct contract line.
- A line whose product is not distinct (Product.distinct off, e.g. an implementation that
  only works with the hosted service) joins the contract's first subscription obligation
  and is recognised with it, over the subscription term (Deloitte Roadmap 5.3).
- Pattern by revenue type: subscription -> ratable over time; one-time fee or
  professional services -> point in time (on delivery/acceptance); usage -> as invoiced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.revenue.error_codes import RevenueError
from core.errors import DomainValidationError

from .engine import (
    DailyProgress,
    DeliveryProgress,
    MonthlyEvenProgress,
    Progress,
    WeightedStepsProgress,
)
from .facts import POINT_IN_TIME_TYPES, LineFact
from .models import PerformanceObligation, RampPolicy, RatableMethod, RecognitionPattern

ZERO = Decimal(0)


@dataclass
class ObligationDraft:
    number: int
    facts: list[LineFact]
    pattern: str
    ratable_method: str = ""
    ramp_policy: str = ""
    combined_ids: set[int] = field(default_factory=set)

    @property
    def anchor(self) -> LineFact:
        return self.facts[0]

    @property
    def name(self) -> str:
        names = [self.anchor.line.description or self.anchor.product.name]
        names += [f.product.name for f in self.facts[1:]]
        return " + ".join(names)[:200]

    @property
    def start(self) -> date:
        return self.anchor.start

    @property
    def end(self) -> date:
        return self.anchor.end

    @property
    def quantity(self) -> Decimal:
        return self.anchor.quantity if self.pattern == RecognitionPattern.POINT_IN_TIME else 1

    @property
    def residual(self) -> bool:
        return any(f.uncertain_ssp for f in self.facts)

    @property
    def ssp(self) -> Decimal | None:
        return None if self.residual else sum((f.ssp_amount for f in self.facts), ZERO)

    @property
    def ssp_range(self) -> tuple[Decimal, Decimal] | None:
        return self.anchor.ssp_range

    @property
    def price(self) -> Decimal:
        return sum((f.price for f in self.facts), ZERO)

    @property
    def label(self) -> str:
        return self.anchor.label

    @property
    def line_ids(self) -> set[int]:
        return {f.line.pk for f in self.facts}

    def ramp_steps(self) -> list[list[str]]:
        """As-invoiced ramps: each stretch of the anchor (and joined lines) with its bill."""
        if self.pattern != RecognitionPattern.RATABLE or self.ramp_policy != RampPolicy.AS_INVOICED:
            return []
        if all(len(f.segments) <= 1 for f in self.facts):
            return []
        return [
            [s.start.isoformat(), s.end.isoformat(), str(s.billed)]
            for f in self.facts
            for s in f.segments
        ]


def pattern_for(fact: LineFact) -> str:
    if fact.is_usage:
        return RecognitionPattern.USAGE
    if fact.revenue_type in POINT_IN_TIME_TYPES:
        return RecognitionPattern.POINT_IN_TIME
    return RecognitionPattern.RATABLE


def build_obligations(
    facts: list[LineFact],
    *,
    ratable_method: str = RatableMethod.DAILY,
    ramp_policy: str = RampPolicy.STRAIGHT_LINE,
    first_number: int = 1,
) -> list[ObligationDraft]:
    drafts: list[ObligationDraft] = []
    joining: list[LineFact] = []
    for fact in facts:
        if fact.product.distinct or fact.is_subscription or fact.is_usage:
            pattern = pattern_for(fact)
            drafts.append(
                ObligationDraft(
                    number=first_number + len(drafts),
                    facts=[fact],
                    pattern=pattern,
                    ratable_method=ratable_method if pattern == RecognitionPattern.RATABLE else "",
                    ramp_policy=ramp_policy if pattern == RecognitionPattern.RATABLE else "",
                )
            )
        else:
            joining.append(fact)
    if joining:
        subscription = next((d for d in drafts if d.anchor.is_subscription), None)
        if subscription is None:
            fact = joining[0]
            raise DomainValidationError(
                field=f"lines[{fact.index}].product",
                code=RevenueError.NOTHING_TO_COMBINE_WITH,
                message=f"{fact.label} is not distinct, but the contract has no subscription "
                "to combine it with.",
            )
        for fact in joining:
            if fact.uncertain_ssp:
                raise DomainValidationError(
                    field=f"lines[{fact.index}].product",
                    code=RevenueError.RESIDUAL_NOT_DISTINCT,
                    message=f"{fact.label} has an uncertain SSP but is not distinct: the "
                    "residual approach applies to a distinct obligation only.",
                )
            subscription.facts.append(fact)
            subscription.combined_ids.add(fact.line.pk)
    return drafts


def ratable_progress(start: date, end: date, method: str, steps: list | None = None) -> Progress:
    if steps:
        return WeightedStepsProgress(
            tuple(
                (date.fromisoformat(s), date.fromisoformat(e), Decimal(amount))
                for s, e, amount in steps
            )
        )
    if method == RatableMethod.MONTHLY_EVEN:
        return MonthlyEvenProgress(start, end)
    return DailyProgress(start, end)


def progress_for(
    obligation: PerformanceObligation, deliveries: list[tuple[date, Decimal]] | None = None
) -> Progress:
    if obligation.pattern == RecognitionPattern.POINT_IN_TIME:
        if deliveries is None:
            deliveries = list(
                obligation.deliveries.order_by("delivered_on", "id").values_list(
                    "delivered_on", "quantity"
                )
            )
        return DeliveryProgress(obligation.quantity, tuple(sorted(deliveries)))
    return ratable_progress(
        obligation.service_start,
        obligation.service_end,
        obligation.ratable_method,
        obligation.ramp_steps,
    )


def draft_progress(draft: ObligationDraft) -> Progress:
    if draft.pattern == RecognitionPattern.POINT_IN_TIME:
        return DeliveryProgress(draft.quantity, ())
    return ratable_progress(draft.start, draft.end, draft.ratable_method, draft.ramp_steps())
