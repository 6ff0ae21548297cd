"""The arithmetic of revenue recognition, without the database.

Allocation (ASC 606-10-32-28 to 32-41)
    The amount to allocate is split by relative standalone selling price (SSP) with
    `billing.money.split`: every part but the last rounded half-up, the last takes the
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
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from billing.money import format_money, quantum, round_money, rounding_mode, split
from billing.terms import add_months
from ordermgmt.errors import DomainValidationError

ONE_DAY = timedelta(days=1)
ZERO = Decimal(0)


# --- Allocation -------------------------------------------------------------------------


@dataclass
class AllocationTarget:
    key: Hashable
    label: str  # names the product in errors: "SKU-1 — Platform"
    ssp: Decimal | None  # None: uncertain, takes the residual
    price: Decimal = ZERO  # what the contract states for it (used by the 32-37 discount)
    ssp_range: tuple[Decimal, Decimal] | None = None  # observed range, whole obligation


@dataclass
class AllocationResult:
    amounts: list[Decimal]
    weights: list[Decimal]  # the SSP basis each amount was split by
    method: str
    residual: Decimal | None = None
    discount: Decimal | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


def allocate(
    *,
    amount: Decimal,
    targets: Sequence[AllocationTarget],
    currency: str,
    discount_keys: set | None = None,
    variable_consideration: Decimal = ZERO,
    variable_key: Hashable | None = None,
) -> AllocationResult:
    """Allocate `amount` (fixed consideration) plus `variable_consideration` over the
    targets. The result's amounts always add back to amount + variable consideration."""
    if not targets:
        raise DomainValidationError(
            field="lines", code="no_obligations", message="The contract has no obligation."
        )
    keys = [t.key for t in targets]
    amount = round_money(amount, currency)
    variable = round_money(variable_consideration, currency)
    targeted = variable_key is not None and variable != 0
    if variable_key is not None and variable_key not in keys:
        raise DomainValidationError(
            field="variable_consideration_line",
            code="not_an_obligation",
            message="The variable consideration line is not one of the contract's obligations.",
        )
    base = amount if targeted else amount + variable
    if base < 0:
        raise DomainValidationError(
            field="variable_consideration_amount",
            code="negative_transaction_price",
            message=f"The transaction price would be {format_money(base, currency)}.",
        )
    if discount_keys is not None:
        unknown = set(discount_keys) - set(keys)
        if not discount_keys or unknown:
            raise DomainValidationError(
                field="discount_lines",
                code="invalid_discount_lines",
                message="Name at least one of the contract's own lines for the 32-37 discount.",
            )
    residual_targets = [t for t in targets if t.ssp is None]
    if len(residual_targets) > 1:
        raise DomainValidationError(
            field="ssp",
            code="several_uncertain_ssps",
            message="Only one obligation can take the residual; "
            + ", ".join(t.label for t in residual_targets)
            + " all have an uncertain SSP.",
        )
    if residual_targets:
        result = _allocate_residual(base, targets, residual_targets[0], currency, discount_keys)
    elif discount_keys is not None:
        result = _allocate_discount_exception(base, targets, currency, discount_keys)
    else:
        weights = [round_money(t.ssp, currency) for t in targets]
        if sum(weights) <= 0:
            raise DomainValidationError(
                field="ssp",
                code="zero_ssp",
                message="The obligations' standalone selling prices add up to zero.",
            )
        result = AllocationResult(split(base, weights, currency), weights, "relative_ssp")
    if targeted:
        index = keys.index(variable_key)
        result.amounts[index] += variable
        if result.amounts[index] < 0:
            raise DomainValidationError(
                field="variable_consideration_amount",
                code="negative_allocation",
                message=f"The variable consideration would leave {targets[index].label} "
                f"below zero ({format_money(result.amounts[index], currency)}).",
            )
        result.notes.append(
            f"Variable consideration {format_money(variable, currency)} allocated entirely "
            f"to {targets[index].label} (606-10-32-40)."
        )
    return result


def _allocate_discount_exception(base, targets, currency, discount_keys) -> AllocationResult:
    ssps = [round_money(t.ssp, currency) for t in targets]
    discount = sum(ssps) - base
    if discount <= 0:
        raise DomainValidationError(
            field="discount_exception",
            code="no_discount",
            message="The contract is not sold at a discount to the sum of its SSPs, so there "
            "is no discount to place on particular lines.",
        )
    named = [i for i, t in enumerate(targets) if t.key in discount_keys]
    others = [i for i in range(len(targets)) if i not in named]
    amounts: list[Decimal] = [ZERO] * len(targets)
    for i in others:
        amounts[i] = ssps[i]
    remaining = base - sum((amounts[i] for i in others), ZERO)
    named_ssp = [ssps[i] for i in named]
    if remaining < 0 or sum(named_ssp) <= 0:
        raise DomainValidationError(
            field="discount_lines",
            code="discount_exceeds_ssp",
            message=f"The discount of {format_money(discount, currency)} is larger than the "
            "SSP of the lines it is placed on.",
        )
    for i, part in zip(named, split(remaining, named_ssp, currency), strict=True):
        amounts[i] = part
    return AllocationResult(amounts, ssps, "discount_exception", discount=discount)


def _allocate_residual(base, targets, residual, currency, discount_keys) -> AllocationResult:
    observable = [t for t in targets if t is not residual]
    if not observable:
        raise DomainValidationError(
            field="ssp",
            code="no_observable_ssp",
            message=f"{residual.label} takes the residual, but no other obligation has an "
            "observable SSP.",
        )
    weights: dict[Hashable, Decimal] = {t.key: round_money(t.ssp, currency) for t in observable}
    discount = None
    if discount_keys:
        named = [t for t in observable if t.key in discount_keys]
        # The discount evident in the contract's own prices of the named lines.
        discount = sum((max(t.ssp - t.price, ZERO) for t in named), ZERO)
        discount = round_money(discount, currency)
        named_ssp = [weights[t.key] for t in named]
        if named and sum(named_ssp) > 0:
            reduced = split(sum(named_ssp) - discount, named_ssp, currency)
            for t, value in zip(named, reduced, strict=True):
                weights[t.key] = value
    residual_amount = base - sum(weights.values(), ZERO)
    low, high = residual.ssp_range or (None, None)
    if residual.ssp_range is None or not (low <= residual_amount <= high):
        range_text = (
            f"{format_money(low, currency)}–{format_money(high, currency)}"
            if residual.ssp_range
            else "no observed range"
        )
        raise DomainValidationError(
            field="ssp",
            code="residual_outside_range",
            message=f"The residual for {residual.label} is "
            f"{format_money(residual_amount, currency)}, outside its observed SSP range "
            f"({range_text}): the residual approach cannot be used.",
        )
    weights[residual.key] = residual_amount
    ordered = [weights[t.key] for t in targets]
    amounts = split(base, ordered, currency) if sum(ordered) > 0 else [ZERO] * len(ordered)
    return AllocationResult(
        amounts,
        ordered,
        "residual",
        residual=residual_amount,
        discount=discount,
        notes=[f"Residual {format_money(residual_amount, currency)} to {residual.label}."],
    )


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
        month_end = add_months(cursor.replace(day=1), 1) - ONE_DAY
        periods.append((cursor, min(month_end, end)))
        cursor = month_end + ONE_DAY
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
    up once (they are what billing.money.round_money uses), not once per period."""

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
