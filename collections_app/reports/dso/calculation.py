"""DSO arithmetic (no database), its parameters and results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from collections_app.error_codes import CollectionsError
from core.errors import DomainValidationError
from core.money import validate_currency

from ..aging import (
    RateUsed,
    rates_text,
    reporting_currency_default,
)

ZERO = Decimal("0")


COUNTBACK_MAX_MONTHS = 36


TREND_MONTHS = 12


class DsoMethod:
    SIMPLE = "simple"
    COUNTBACK = "countback"
    CHOICES = [(SIMPLE, "Simple"), (COUNTBACK, "Countback")]


class ArBasis:
    NET = "net"
    GROSS = "gross"
    CHOICES = [(NET, "Net AR (after unapplied credits)"), (GROSS, "Gross AR (open invoices)")]


class MonthDays:
    ACTUAL = "actual"
    THIRTY = "30"
    CHOICES = [(ACTUAL, "Actual calendar days"), (THIRTY, "30-day months")]


def simple_dso(ending_ar: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """ending AR / credit sales x days; None when there were no sales."""
    if credit_sales <= 0:
        return None
    return Decimal(ending_ar) / Decimal(credit_sales) * days


@dataclass(frozen=True)
class MonthSales:
    month: date  # first day of the month
    days: int  # days this month counts for (actual, elapsed, or 30)
    sales: Decimal


@dataclass(frozen=True)
class CountbackStep:
    month: date
    sales: Decimal
    ar_before: Decimal
    days_counted: Decimal  # full month days, or the fraction of the last month
    full_month: bool


@dataclass(frozen=True)
class Countback:
    dso: Decimal
    steps: list[CountbackStep]
    exhausted: bool  # AR exceeds every month's sales walked back


def countback_dso(ending_ar: Decimal, months: Sequence[MonthSales]) -> Countback:
    """`months` latest first. Take each month's sales from AR; a month whose sales cover
    the rest of AR adds days x remaining AR / sales and ends the walk."""
    remaining = Decimal(ending_ar)
    total_days = ZERO
    steps = []
    for month in months:
        if remaining <= 0:
            break
        if month.sales > 0 and remaining <= month.sales:
            part = Decimal(month.days) * remaining / month.sales
            steps.append(CountbackStep(month.month, month.sales, remaining, part, False))
            total_days += part
            remaining = ZERO
            break
        steps.append(CountbackStep(month.month, month.sales, remaining, Decimal(month.days), True))
        total_days += month.days
        remaining -= max(month.sales, ZERO)
    return Countback(total_days, steps, exhausted=remaining > 0)


@dataclass(frozen=True)
class DsoParams:
    start: date
    end: date
    method: str = DsoMethod.SIMPLE
    ar_basis: str = ArBasis.NET
    month_days: str = MonthDays.ACTUAL
    currency: str | None = None  # one document currency; None: all, in the reporting one
    reporting_currency: str = field(default_factory=reporting_currency_default)

    def __post_init__(self):
        if self.end < self.start:
            raise DomainValidationError(
                field="end",
                code=CollectionsError.BEFORE_START,
                message="The period ends before it starts.",
            )
        choices = [
            ("method", self.method, {DsoMethod.SIMPLE, DsoMethod.COUNTBACK}),
            ("ar_basis", self.ar_basis, {ArBasis.NET, ArBasis.GROSS}),
            ("month_days", self.month_days, {MonthDays.ACTUAL, MonthDays.THIRTY}),
        ]
        for name, value, allowed in choices:
            if value not in allowed:
                raise DomainValidationError(
                    field=name,
                    code=CollectionsError.UNKNOWN_CHOICE,
                    message=f"{name} is one of {', '.join(sorted(allowed))}.",
                )
        if self.currency:
            validate_currency(self.currency)
        validate_currency(self.reporting_currency, field="reporting_currency")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def figure_currency(self) -> str:
        return self.currency or self.reporting_currency

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "method": self.method,
            "ar_basis": self.ar_basis,
            "month_days": self.month_days,
            "currency": self.currency or "",
            "reporting_currency": self.reporting_currency,
        }


@dataclass
class DsoResult:
    params: DsoParams
    currency: str
    ending_ar: Decimal | None
    gross_ar: Decimal | None
    unapplied_credits: Decimal | None
    credit_sales: Decimal | None
    days: int
    simple: Decimal | None
    countback: Countback | None
    rates: list[RateUsed]
    missing_rates: list[str]

    @property
    def dso(self) -> Decimal | None:
        if self.params.method == DsoMethod.COUNTBACK:
            return self.countback.dso if self.countback else None
        return self.simple

    @property
    def rates_text(self) -> str:
        return rates_text(self.rates)

    @property
    def missing_rate_message(self) -> str:
        if not self.missing_rates:
            return ""
        return (
            f"No {self.params.reporting_currency} rate for {', '.join(self.missing_rates)} "
            f"dated on or before {self.params.end.isoformat()}: DSO across currencies needs "
            "one. Add the rate under Billing › FX rates, or choose one currency."
        )


@dataclass(frozen=True)
class TrendPoint:
    month: date
    as_of: date
    dso: Decimal | None
    ending_ar: Decimal | None
    sales: Decimal | None
