"""Revenue schedule lines by cumulative rounding, history before a cut, catch-up lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from core.money import quantum, round_money, rounding_mode

from .progress import ONE_DAY, ZERO, Progress, days_between

# --- Schedule lines ------------------------------------------------------------------------


@dataclass
class DraftLine:
    kind: str
    period_start: date
    period_end: date
    recognition_date: date
    amount: Decimal
    cumulative_amount: Decimal


def portion(total: Decimal, share: Fraction, currency: str) -> Decimal:
    """round(total x share), exact for share 0 and 1."""
    if share <= 0:
        return ZERO
    if share >= 1:
        return total
    return round_money(total * share.numerator / share.denominator, currency)


class _Portions:
    """portion() for one schedule: the currency's quantum and the rounding mode are looked
    up once (they are what core.money.round_money uses), not once per period."""

    def __init__(self, total: Decimal, currency: str):
        self.total = total
        self.quantum = quantum(currency)
        self.mode = rounding_mode()

    def __call__(self, share: Fraction) -> Decimal:
        if share <= 0:
            return ZERO
        if share >= 1:
            return self.total
        exact = self.total * share.numerator / share.denominator
        return exact.quantize(self.quantum, rounding=self.mode)


@lru_cache(maxsize=2048)
def period_shares(
    progress: Progress, start: date | None
) -> tuple[Fraction, tuple[tuple[date, date, Fraction], ...]]:
    """(progress before the first period, ((start, end, progress at end), ...)). Measures
    of progress are immutable values, and contracts share terms: computed once each."""
    periods = progress.periods(start) if start else progress.periods(date.min)
    if not periods:
        return Fraction(0), ()
    return progress.at(periods[0][0] - ONE_DAY), tuple(
        (period_start, period_end, progress.at(period_end)) for period_start, period_end in periods
    )


def cumulative_lines(
    *,
    total: Decimal,
    progress: Progress,
    currency: str,
    kind: str,
    start: date | None = None,
    offset: Decimal = ZERO,
) -> list[DraftLine]:
    """Lines from `start` on: recognised to date after each period = offset +
    round(total x P(period end)); each line is the difference (cumulative rounding)."""
    before, shares = period_shares(progress, start)
    share_of = _Portions(total, currency)
    previous = share_of(before)
    lines = []
    for period_start, period_end, share in shares:
        target = share_of(share)
        lines.append(
            DraftLine(
                kind,
                period_start,
                period_end,
                period_end,
                target - previous,
                offset + target,
            )
        )
        previous = target
    return lines


def history_before(lines: Sequence[DraftLine], cut: date, currency: str) -> list[DraftLine]:
    """The lines recognised before `cut`: a line whose period straddles it keeps the
    elapsed share of its amount (by days) as a stub ending the day before."""
    kept = []
    for line in lines:
        if line.recognition_date < cut:
            kept.append(line)
        elif line.period_start < cut:
            elapsed = Fraction(
                days_between(line.period_start, cut - ONE_DAY),
                days_between(line.period_start, line.period_end),
            )
            amount = portion(line.amount, elapsed, currency)
            before = line.cumulative_amount - line.amount
            kept.append(
                DraftLine(
                    line.kind,
                    line.period_start,
                    cut - ONE_DAY,
                    cut - ONE_DAY,
                    amount,
                    before + amount,
                )
            )
    return kept


def recognised(lines: Sequence[DraftLine]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def catch_up_lines(
    *,
    history: list[DraftLine],
    total: Decimal,
    progress: Progress,
    effective: date,
    currency: str,
    kind: str,
) -> list[DraftLine]:
    """Cumulative catch-up: revenue to date jumps on `effective` to round(total x P(day
    before)), then follows the new total's cumulative targets."""
    done = recognised(history)
    target_before = portion(total, progress.at(effective - ONE_DAY), currency)
    lines = list(history)
    if target_before != done:
        lines.append(
            DraftLine(
                "catch_up", effective, effective, effective, target_before - done, target_before
            )
        )
    previous = target_before
    for period_start, period_end in progress.periods(effective):
        target = portion(total, progress.at(period_end), currency)
        lines.append(
            DraftLine(kind, period_start, period_end, period_end, target - previous, target)
        )
        previous = target
    return lines
