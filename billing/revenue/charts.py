"""The inline SVG charts of the revenue pages: what their templates draw, placed by the
one chart module (core.charts)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.charts import Frame, nice_top, short_amount


@dataclass(frozen=True)
class Bar:
    label: str
    value_label: str
    x: float
    y: float
    width: float
    height: float
    tone: str  # css class: recognised, scheduled, up, down, total

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    left: float
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    legend: list[tuple[str, str]]

    @property
    def label_y(self) -> float:
        return self.height - 6

    @property
    def tick_x(self) -> float:
        return self.left - 6

    @property
    def empty(self) -> bool:
        return not self.bars


def _frame(width: int, height: int) -> Frame:
    return Frame(width, height, left=56, right=10, top=18, bottom=28)


def _ticks(frame: Frame, top_value: float, floor: float = 0.0) -> list[Tick]:
    """Four gridlines; an axis that starts below zero labels each from `floor` up."""
    return [
        Tick(y, short_amount(floor + top_value * i / 4))
        for i, (y, _) in enumerate(frame.ticks(top_value))
    ]


def waterfall_chart(
    labels: list[str],
    values: list[Decimal],
    recognised: list[bool],
    *,
    currency: str,
    width: int = 760,
    height: int = 240,
) -> Chart:
    """Revenue per month: recognised months solid, still-scheduled months light."""
    peak = max([float(v) for v in values] + [0.0])
    top_value = nice_top(peak)
    frame = _frame(width, height)
    bars = []
    for i, (label, value, done) in enumerate(zip(labels, values, recognised, strict=True)):
        box = frame.column(i, len(values), float(value), top_value, fill=0.7)
        bars.append(
            Bar(
                label,
                short_amount(float(value)),
                box.x,
                box.y,
                box.width,
                box.height,
                "recognised" if done else "scheduled",
            )
        )
    return Chart(
        f"Revenue by month, {currency}",
        width,
        height,
        frame.left,
        frame.baseline,
        bars if any(values) else [],
        _ticks(frame, top_value),
        [("recognised", "Recognised"), ("scheduled", "Scheduled")],
    )


def bridge_chart(
    opening: Decimal,
    billed: Decimal,
    recognised: Decimal,
    refund: Decimal,
    closing: Decimal,
    *,
    currency: str,
    width: int = 560,
    height: int = 240,
) -> Chart:
    """Opening balance + billed - recognised (- to refund liability) = closing."""
    steps = [("Opening", opening, "total", 0.0)]
    running = float(opening)
    steps.append(("+ Billed", billed, "up", running))
    running += float(billed)
    steps.append(("− Recognised", -recognised, "down", running))
    running -= float(recognised)
    if refund:
        steps.append(("− Refund liab.", -refund, "down", running))
        running -= float(refund)
    steps.append(("Closing", closing, "total", 0.0))
    levels = [0.0, float(opening), float(closing)]
    for _, value, _, start in steps[1:-1]:
        levels += [start, start + float(value)]
    low = min(levels + [0.0])
    high = max(levels + [0.0])
    floor = min(low, 0.0)
    top_value = nice_top(high - floor)
    frame = _frame(width, height)
    bars = []
    for i, (label, value, tone, start) in enumerate(steps):
        # A floating bar from its start level; the balances stand on zero.
        a, b = (0.0, float(value)) if tone == "total" else (start, start + float(value))
        y1, y2 = frame.y_of(max(a, b), top_value, floor), frame.y_of(min(a, b), top_value, floor)
        box = frame.column(i, len(steps), 0.0, top_value, fill=0.7)
        bars.append(
            Bar(
                label,
                short_amount(float(value)),
                box.x,
                round(y1, 1),
                box.width,
                round(max(y2 - y1, 1.0), 1),
                tone,
            )
        )
    return Chart(
        f"Deferred revenue roll-forward, {currency}",
        width,
        height,
        frame.left,
        round(frame.y_of(0.0, top_value, floor), 1),
        bars,
        _ticks(frame, top_value, floor),
        [("total", "Balance"), ("up", "Billed"), ("down", "Recognised")],
    )
