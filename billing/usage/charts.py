"""The burn-down of a commitment or credit on the customer page: its balance from the
ledger, day by day from its start, and where the average daily use so far would take it
(dashed). Geometry only, computed here; `usage/_burn_down.html` draws it as inline SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from billing.usage.models import LedgerEntry
from core.charts import axis_ticks, nice_top, short_amount

WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 360, 140, 44, 10, 118


@dataclass(frozen=True)
class BurnDown:
    steps: str  # polyline points of the balance
    projection: str  # polyline points of the projection, or ""
    grid: list[tuple[float, str]]
    start_label: str
    end_label: str
    marks: list[tuple[date, Decimal, float, float]]  # (day, balance after it, x, y)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = BOTTOM


def burn_down_charts(rows, as_of: date) -> dict[int, BurnDown]:
    """One chart per commitment balance row (`selectors.commitment_balances`)."""
    by_commitment: dict[int, dict[date, Decimal]] = {}
    for commitment_id, day, amount in LedgerEntry.objects.filter(
        commitment__in=[row.commitment for row in rows], effective_date__lte=as_of
    ).values_list("commitment_id", "effective_date", "amount"):
        days = by_commitment.setdefault(commitment_id, {})
        days[day] = days.get(day, Decimal(0)) + amount
    return {
        row.commitment.pk: _chart(row, by_commitment.get(row.commitment.pk, {}), as_of)
        for row in rows
    }


def _chart(row, movements: dict[date, Decimal], as_of: date) -> BurnDown:
    commitment = row.commitment
    start, end = commitment.starts_on, commitment.ends_on
    span = max((end - start).days + 1, 1)
    balance, balances = Decimal(0), []
    for day in sorted(movements):
        balance += movements[day]
        balances.append((day, balance))
    top = nice_top(float(max((b for _, b in balances), default=commitment.amount)))

    def x(day: date) -> float:
        offset = min(max((day - start).days, 0), span)
        return round(LEFT + (WIDTH - LEFT) * offset / span, 1)

    def y(value) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * float(value) / top, 1)

    points, previous = [], None
    for day, value in balances:
        if previous is not None:
            points.append(f"{x(day)},{y(previous)}")
        points.append(f"{x(day)},{y(value)}")
        previous = value
    if previous is not None:
        points.append(f"{x(min(as_of, end) + timedelta(days=1))},{y(previous)}")
    projection = ""
    if row.burn_per_day and row.remaining > 0 and as_of < end:
        days_left = int(row.remaining / row.burn_per_day)
        stop = min(as_of + timedelta(days=days_left), end)
        left = max(row.remaining - row.burn_per_day * (stop - as_of).days, Decimal(0))
        projection = f"{x(as_of)},{y(row.remaining)} {x(stop)},{y(left)}"
    return BurnDown(
        steps=" ".join(points),
        projection=projection,
        grid=axis_ticks(top, TOP, BOTTOM - TOP, label=short_amount),
        start_label=f"{start:%d %b}",
        end_label=f"{end:%d %b %Y}",
        marks=[(day, value, x(day), y(value)) for day, value in balances],
    )
