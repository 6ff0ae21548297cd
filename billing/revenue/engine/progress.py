"""Measures of progress P(d): the share of an obligation done through a day."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from core.dates import month_end
from core.terms import add_months

ONE_DAY = timedelta(days=1)


ZERO = Decimal(0)


# --- Measures of progress ----------------------------------------------------------------


def days_between(start: date, end_inclusive: date) -> int:
    return (end_inclusive - start).days + 1


class Progress:
    """Share of an obligation done through a day (inclusive), 0..1."""

    def at(self, day: date) -> Fraction:  # pragma: no cover - interface
        raise NotImplementedError

    def periods(self, start: date) -> list[tuple[date, date]]:
        """Periods from `start` on that get a schedule line."""
        raise NotImplementedError  # pragma: no cover


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months, the first and last clipped to [start, end]."""
    periods = []
    cursor = start
    while cursor <= end:
        last = month_end(cursor)
        periods.append((cursor, min(last, end)))
        cursor = last + ONE_DAY
    return periods


@dataclass(frozen=True)
class DailyProgress(Progress):
    start: date
    end: date

    def at(self, day: date) -> Fraction:
        if day < self.start:
            return Fraction(0)
        if day >= self.end:
            return Fraction(1)
        return Fraction(days_between(self.start, day), days_between(self.start, self.end))

    def periods(self, start: date) -> list[tuple[date, date]]:
        return month_periods(max(start, self.start), self.end)


@dataclass(frozen=True)
class MonthlyEvenProgress(Progress):
    """Each service month (start + k months) weighs one; a partial last month weighs the
    share of its days that the term covers."""

    start: date
    end: date

    def _months(self) -> list[tuple[date, date, Fraction]]:
        months = []
        k = 0
        while True:
            first = add_months(self.start, k)
            if first > self.end:
                break
            last = add_months(self.start, k + 1) - ONE_DAY
            if last <= self.end:
                months.append((first, last, Fraction(1)))
            else:
                weight = Fraction(days_between(first, self.end), days_between(first, last))
                months.append((first, self.end, weight))
            k += 1
        return months

    def at(self, day: date) -> Fraction:
        if day < self.start:
            return Fraction(0)
        if day >= self.end:
            return Fraction(1)
        months = self._months()
        total = sum((w for _, _, w in months), Fraction(0))
        done = Fraction(0)
        for first, last, weight in months:
            if last <= day:
                done += weight
            elif first <= day:
                done += weight * Fraction(days_between(first, day), days_between(first, last))
        return done / total

    def periods(self, start: date) -> list[tuple[date, date]]:
        return month_periods(max(start, self.start), self.end)


@dataclass(frozen=True)
class WeightedStepsProgress(Progress):
    """Ramp deals recognised as invoiced: each step's billed amount, daily over its dates."""

    steps: tuple[tuple[date, date, Decimal], ...]

    def at(self, day: date) -> Fraction:
        total = sum((Fraction(w) for _, _, w in self.steps), Fraction(0))
        if total == 0:
            return DailyProgress(self.steps[0][0], self.steps[-1][1]).at(day)
        done = sum(
            (Fraction(w) * DailyProgress(s, e).at(day) for s, e, w in self.steps), Fraction(0)
        )
        return done / total

    def periods(self, start: date) -> list[tuple[date, date]]:
        first = min(s for s, _, _ in self.steps)
        last = max(e for _, e, _ in self.steps)
        return month_periods(max(start, first), last)


@dataclass(frozen=True)
class DeliveryProgress(Progress):
    quantity: Decimal
    deliveries: tuple[tuple[date, Decimal], ...]  # sorted by date

    def at(self, day: date) -> Fraction:
        if self.quantity <= 0:
            return Fraction(1) if self.deliveries and self.deliveries[0][0] <= day else Fraction(0)
        dates = [d for d, _ in self.deliveries]
        done = sum((q for _, q in self.deliveries[: bisect_right(dates, day)]), ZERO)
        return min(Fraction(done) / Fraction(self.quantity), Fraction(1))

    def periods(self, start: date) -> list[tuple[date, date]]:
        days = sorted({d for d, _ in self.deliveries if d >= start})
        return [(d, d) for d in days]


@dataclass(frozen=True)
class RebasedProgress(Progress):
    """Progress on what remains from `origin` on (a prospective modification spreads the
    remaining consideration over the remaining performance)."""

    inner: Progress
    origin: date

    def at(self, day: date) -> Fraction:
        before = self.inner.at(self.origin - ONE_DAY)
        if before >= 1:
            return Fraction(1)
        return max((self.inner.at(day) - before) / (1 - before), Fraction(0))

    def periods(self, start: date) -> list[tuple[date, date]]:
        return self.inner.periods(max(start, self.origin))
