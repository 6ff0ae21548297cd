"""Geometry of the inline SVG charts on the revenue pages, computed on the server (no
chart library, nothing fetched from elsewhere). Templates draw what is placed here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.charts import axis_ticks, nice_top, short_amount


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


def _frame(width, height, top_value):
    left, right, top, bottom = 56, 10, 18, 28
    plot_height = height - top - bottom
    ticks = [Tick(y, text) for y, text in axis_ticks(top_value, top, plot_height)]
    return left, right, top, plot_height, ticks


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
    left, right, top, plot_height, ticks = _frame(width, height, top_value)
    slot = (width - left - right) / max(len(values), 1)
    bars = []
    for i, (label, value, done) in enumerate(zip(labels, values, recognised, strict=True)):
        bar_height = max(float(value), 0.0) / top_value * plot_height
        bars.append(
            Bar(
                label,
                short_amount(float(value)),
                round(left + i * slot + slot * 0.15, 1),
                round(top + plot_height - bar_height, 1),
                round(slot * 0.7, 1),
                round(bar_height, 1),
                "recognised" if done else "scheduled",
            )
        )
    return Chart(
        f"Revenue by month, {currency}",
        width,
        height,
        left,
        top + plot_height,
        bars if any(values) else [],
        ticks,
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
    left, right, top, plot_height, ticks = _frame(width, height, top_value)
    ticks = [Tick(t.y, short_amount(floor + top_value * i / 4)) for i, t in enumerate(ticks)]
    slot = (width - left - right) / len(steps)

    def y_of(level: float) -> float:
        return top + plot_height - (level - floor) / top_value * plot_height

    bars = []
    for i, (label, value, tone, start) in enumerate(steps):
        a, b = (0.0, float(value)) if tone == "total" else (start, start + float(value))
        y1, y2 = y_of(max(a, b)), y_of(min(a, b))
        bars.append(
            Bar(
                label,
                short_amount(float(value)),
                round(left + i * slot + slot * 0.15, 1),
                round(y1, 1),
                round(slot * 0.7, 1),
                round(max(y2 - y1, 1.0), 1),
                tone,
            )
        )
    return Chart(
        f"Deferred revenue roll-forward, {currency}",
        width,
        height,
        left,
        round(y_of(0.0), 1),
        bars,
        ticks,
        [("total", "Balance"), ("up", "Billed"), ("down", "Recognised")],
    )
