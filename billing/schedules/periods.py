"""Billing periods and proration (research/accounting-conventions.md section 3).

Periods come from a grid of whole billing periods (1, 3 or 12 months, or the whole
term) that starts at an anchor date; each grid period is clipped to the term. A clipped
period is a partial period, billed by the fraction

    actual/actual: days in the clipped period / days in the whole grid period
    30/360 (US):   30/360 days of the clipped period / (30 x months of the grid period)
    30E/360:       30E/360 days of the clipped period / (30 x months of the grid period)
    actual/360:    days in the clipped period / (30 x months of the grid period), at most 1

The 30-day conventions count from the first day to the day after the last (the accrual
end date). US 30/360 moves a 31st end to the 30th only when the start is the 30th or 31st;
30E/360 ("European", ISDA 30E/360, Eurobond basis) always moves a 31st to the 30th, so a
period ending on the 30th of a 31-day month is one day short of the whole month.

One grid serves new contracts (anchored on their start date, or on a billing day of
the month, which makes a first stub period) and amendments (they use the grid of the
contract they amend, so added seats are co-termed and prorated to its period end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from core.terms import add_months

ACTUAL_ACTUAL = "actual_actual"
THIRTY_360 = "30_360"
THIRTY_E_360 = "30e_360"
ACTUAL_360 = "actual_360"
CONVENTION_NAMES = {
    ACTUAL_ACTUAL: "actual/actual",
    THIRTY_360: "30/360",
    THIRTY_E_360: "30E/360",
    ACTUAL_360: "actual/360",
}
# Whole grid periods of these are 30 days a month, whatever the calendar says.
THIRTY_DAY_MONTHS = {THIRTY_360, THIRTY_E_360, ACTUAL_360}
MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "annual": 12}


@dataclass(frozen=True)
class BillingPeriod:
    start: date
    end: date  # inclusive
    grid_start: date
    grid_end: date  # inclusive end of the whole grid period it was clipped from
    months: int  # length of the whole grid period in months
    days: int  # days of this period under the convention
    period_days: int  # days of the whole grid period under the convention
    convention: str
    years: Fraction  # length in years: the weight used to price and split a subscription

    @property
    def is_partial(self) -> bool:
        return self.start != self.grid_start or self.end != self.grid_end

    @property
    def fraction(self) -> Fraction:
        """Share of the whole grid period that this period covers."""
        return Fraction(self.days, self.period_days)

    @property
    def convention_name(self) -> str:
        return CONVENTION_NAMES[self.convention]

    @property
    def convention_label(self) -> str:
        return f"{self.convention_name}: {self.days}/{self.period_days} days"


def days_30_360(start: date, end_inclusive: date) -> int:
    """Days from start to the day after end under the US 30/360 convention."""
    after = end_inclusive + timedelta(days=1)
    d1 = min(start.day, 30)
    d2 = after.day
    if d2 == 31 and d1 >= 30:
        d2 = 30
    # Month-ends are whole months: 1 Feb..28 Feb is 30 days, like 1 Mar..31 Mar.
    if after.day == 1 and start.day == 1:
        d1 = d2 = 1
    return (after.year - start.year) * 360 + (after.month - start.month) * 30 + (d2 - d1)


def days_30e_360(start: date, end_inclusive: date) -> int:
    """Days from start to the day after end under 30E/360: every 31st counts as the 30th."""
    after = end_inclusive + timedelta(days=1)
    d1, d2 = min(start.day, 30), min(after.day, 30)
    return (after.year - start.year) * 360 + (after.month - start.month) * 30 + (d2 - d1)


def day_count(start: date, end_inclusive: date, convention: str) -> int:
    if convention not in CONVENTION_NAMES:
        raise ValueError(f"unknown day-count convention {convention!r}")
    if convention == THIRTY_360:
        return days_30_360(start, end_inclusive)
    if convention == THIRTY_E_360:
        return days_30e_360(start, end_inclusive)
    return (end_inclusive - start).days + 1


def grid_anchor(start: date, anchor_day: int | None) -> date:
    """The grid starts at the contract start, or at the last billing day on or before it."""
    if not anchor_day or anchor_day == start.day:
        return start
    if start.day > anchor_day:
        return start.replace(day=anchor_day)
    previous = add_months(start.replace(day=1), -1)
    return previous.replace(day=anchor_day)


def billing_periods(
    *,
    term_start: date,
    term_end: date,
    months: int | None,
    grid_start: date,
    convention: str = ACTUAL_ACTUAL,
) -> list[BillingPeriod]:
    """Periods covering [term_start, term_end]; `months=None` bills the whole term at once."""
    if term_end < term_start:
        return []
    if months is None:
        # The whole term at once; it is as long as its months on a monthly grid.
        monthly = billing_periods(
            term_start=term_start,
            term_end=term_end,
            months=1,
            grid_start=grid_start,
            convention=convention,
        )
        days = day_count(term_start, term_end, convention)
        return [
            BillingPeriod(
                term_start,
                term_end,
                term_start,
                term_end,
                len(monthly),
                days,
                days,
                convention,
                years=sum((p.years for p in monthly), Fraction(0)),
            )
        ]
    periods = []
    index = 0
    while True:
        whole_start = add_months(grid_start, months * index)
        whole_end = add_months(grid_start, months * (index + 1)) - timedelta(days=1)
        index += 1
        if whole_end < term_start:
            continue
        if whole_start > term_end:
            break
        start, end = max(whole_start, term_start), min(whole_end, term_end)
        period_days = (
            30 * months
            if convention in THIRTY_DAY_MONTHS
            else day_count(whole_start, whole_end, convention)
        )
        days = min(day_count(start, end, convention), period_days)
        periods.append(
            BillingPeriod(
                start,
                end,
                whole_start,
                whole_end,
                months,
                days,
                period_days,
                convention,
                years=Fraction(months, 12) * Fraction(days, period_days),
            )
        )
    return periods


def to_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)
