"""The arithmetic of revenue recognition, without the database.

Allocation (ASC 606-10-32-28 to 32-41)
    The amount to allocate is split by relative standalone selling price (SSP) with
    `core.money.split`: every part but the last rounded half-up, the last takes the
    remainder, so the parts add back exactly (research 1.4, decision 9.1).
    - 32-37 discount exception: obligations outside the named ones get exactly their SSP;
      the named ones share what is left, by SSP.
    - Residual (32-34c): at most one obligation with an uncertain SSP gets what is left
      after the others' SSPs (less any 32-37 discount evident on the named lines); it must
      fall inside the observed range, else the approach is refused.
    - Variable consideration flagged to one obligation (32-40) goes to it alone.

Schedules (research 2.2, decision 9.1: cumulative rounding)
    A measure of progress P(d) in [0, 1] gives the share done through day d (inclusive).
    Revenue recognised to date after period k is round(total x P(end_k)); a period's
    amount is the difference, so revenue-to-date is always the rounded exact figure.
    - daily: P(d) = days(start..d) / days(start..end), actual/actual, end date inclusive
      (a leap year has 366 days);
    - by month evenly: each service month (start + k months) weighs 1, a partial last
      month weighs its share of days; inside a month progress goes by days;
    - ramp "as invoiced": each step weighs what it bills, spread daily over its own dates;
    - point in time: delivered quantity / quantity.

Split: `allocation`, `progress` (measures of progress), `schedule_lines`.
"""

from .allocation import AllocationResult, AllocationTarget, allocate
from .progress import (
    ONE_DAY,
    ZERO,
    DailyProgress,
    DeliveryProgress,
    MonthlyEvenProgress,
    Progress,
    RebasedProgress,
    WeightedStepsProgress,
    days_between,
    month_periods,
)
from .schedule_lines import (
    DraftLine,
    catch_up_lines,
    cumulative_lines,
    history_before,
    period_shares,
    portion,
    recognised,
)

__all__ = [
    "AllocationResult",
    "AllocationTarget",
    "DailyProgress",
    "DeliveryProgress",
    "DraftLine",
    "MonthlyEvenProgress",
    "ONE_DAY",
    "Progress",
    "RebasedProgress",
    "WeightedStepsProgress",
    "ZERO",
    "allocate",
    "catch_up_lines",
    "cumulative_lines",
    "days_between",
    "history_before",
    "month_periods",
    "period_shares",
    "portion",
    "recognised",
]
