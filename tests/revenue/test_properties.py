"""Properties: every allocation adds back exactly to what it allocates, and every
schedule adds back exactly to the allocated amount, with revenue to date always the
rounded exact figure (cumulative rounding)."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from billing.revenue.engine import (
    AllocationTarget,
    DailyProgress,
    DeliveryProgress,
    MonthlyEvenProgress,
    RebasedProgress,
    WeightedStepsProgress,
    allocate,
    catch_up_lines,
    cumulative_lines,
    history_before,
)
from core.errors import DomainValidationError
from core.money import minor_unit, round_money

CURRENCIES = ["USD", "JPY", "KWD", "EUR", "CLF"]
amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("1e10"), places=4)
ssps = st.lists(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1e8"), places=2), min_size=1, max_size=12
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


@settings(max_examples=400, deadline=None)
@given(
    amount=amounts,
    weights=ssps,
    currency=st.sampled_from(CURRENCIES),
    variable=st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=2),
    data=st.data(),
)
def test_every_allocation_adds_back_exactly(amount, weights, currency, variable, data):
    assume(sum(weights) > 0)
    targets = [
        AllocationTarget(key=i, label=f"P{i}", ssp=w, price=w) for i, w in enumerate(weights)
    ]
    discount = data.draw(
        st.one_of(st.none(), st.sets(st.sampled_from(range(len(weights))), min_size=1))
    )
    to_one = data.draw(st.one_of(st.none(), st.sampled_from(range(len(weights)))))
    try:
        result = allocate(
            amount=amount,
            targets=targets,
            currency=currency,
            discount_keys=discount,
            variable_consideration=variable,
            variable_key=to_one,
        )
    except DomainValidationError:
        return  # refused inputs (no discount to place, negative price ...) change nothing
    expected = round_money(amount, currency) + round_money(variable, currency)
    assert sum(result.amounts) == expected
    unit = Decimal(1).scaleb(-minor_unit(currency))
    assert all(a == a.quantize(unit) for a in result.amounts)
    if to_one is None and expected >= 0:
        assert all(a >= 0 for a in result.amounts)


@settings(max_examples=200, deadline=None)
@given(
    amount=amounts,
    observed=ssps,
    low=st.decimals(min_value=Decimal("0"), max_value=Decimal("1e8"), places=2),
    width=st.decimals(min_value=Decimal("0"), max_value=Decimal("1e8"), places=2),
    currency=st.sampled_from(CURRENCIES),
)
def test_a_residual_allocation_adds_back_or_is_refused(amount, observed, low, width, currency):
    targets = [AllocationTarget(key=i, label=f"P{i}", ssp=w) for i, w in enumerate(observed)]
    targets.append(AllocationTarget(key="r", label="R", ssp=None, ssp_range=(low, low + width)))
    try:
        result = allocate(amount=amount, targets=targets, currency=currency)
    except DomainValidationError as err:
        assert err.code in {"residual_outside_range"}
        return
    assert sum(result.amounts) == round_money(amount, currency)
    assert low <= result.residual <= low + width


def progresses(start: date, length: int, data):
    end = start + timedelta(days=length)
    kind = data.draw(st.sampled_from(["daily", "monthly", "steps", "deliveries"]))
    if kind == "daily":
        return DailyProgress(start, end)
    if kind == "monthly":
        return MonthlyEvenProgress(start, end)
    if kind == "steps":
        middle = start + timedelta(days=length // 2)
        weights = data.draw(st.lists(st.integers(0, 10**6), min_size=2, max_size=2))
        return WeightedStepsProgress(
            (
                (start, middle, Decimal(weights[0])),
                (middle + timedelta(days=1), end, Decimal(weights[1])),
            )
            if middle < end
            else ((start, end, Decimal(1)),)
        )
    dates = sorted(data.draw(st.lists(st.integers(0, length), min_size=1, max_size=5)))
    return DeliveryProgress(
        Decimal(len(dates)), tuple((start + timedelta(days=d), Decimal(1)) for d in dates)
    )


@settings(max_examples=300, deadline=None)
@given(
    total=amounts,
    start=days,
    length=st.integers(0, 4 * 366),
    currency=st.sampled_from(CURRENCIES),
    data=st.data(),
)
def test_every_schedule_adds_back_to_its_allocation_and_is_cumulative(
    total, start, length, currency, data
):
    total = round_money(total, currency)
    progress = progresses(start, length, data)
    lines = cumulative_lines(total=total, progress=progress, currency=currency, kind="ratable")
    assert sum(line.amount for line in lines) == total
    for line in lines:
        share = progress.at(line.recognition_date)
        exact = total * Decimal(share.numerator) / Decimal(share.denominator)
        assert line.cumulative_amount == round_money(exact, currency)
        assert line.amount >= 0


@settings(max_examples=200, deadline=None)
@given(
    total=amounts,
    added=amounts,
    start=days,
    length=st.integers(1, 3 * 366),
    cut=st.integers(1, 3 * 366),
    currency=st.sampled_from(CURRENCIES),
)
def test_modified_schedules_keep_the_past_and_add_back_to_the_new_total(
    total, added, start, length, cut, currency
):
    total, added = round_money(total, currency), round_money(added, currency)
    progress = DailyProgress(start, start + timedelta(days=length))
    effective = start + timedelta(days=min(cut, length))
    lines = cumulative_lines(total=total, progress=progress, currency=currency, kind="ratable")
    history = history_before(lines, effective, currency)
    done = sum((line.amount for line in history), Decimal(0))
    # Cumulative catch-up: a new total, revenue to date jumps to round(new x progress).
    new_total = total + added
    caught_up = catch_up_lines(
        history=history,
        total=new_total,
        progress=progress,
        effective=effective,
        currency=currency,
        kind="ratable",
    )
    assert sum(line.amount for line in caught_up) == new_total
    assert caught_up[: len(history)] == history
    # Prospective: what is left + the added consideration over the rest of the term.
    rest = cumulative_lines(
        total=total - done + added,
        progress=RebasedProgress(progress, effective),
        currency=currency,
        kind="ratable",
        start=effective,
        offset=done,
    )
    assert done + sum(line.amount for line in rest) == new_total
    assert all(line.period_start >= effective for line in rest)
    assert Fraction(0) <= progress.at(effective - timedelta(days=1)) <= 1
