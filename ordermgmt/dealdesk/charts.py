"""The deal desk's small inline SVG bar charts, placed by the one chart module
(core.charts).

A template draws the rectangles and labels these functions place; values and labels
are plain numbers and strings, escaped by the template like any other text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.charts import Frame, scaled


@dataclass(frozen=True)
class Bar:
    label: str
    value_label: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    bars: list[Bar]
    axis_y: float  # baseline (columns) or left edge (rows)
    empty: bool
    kind: str  # "column" or "row"


def column_chart(
    title: str,
    points: Sequence[tuple[str, Decimal | int | None, str]],
    *,
    width: int = 640,
    height: int = 200,
    empty: bool | None = None,
) -> BarChart:
    """Vertical bars: (label under the bar, value, label above the bar). `empty` says
    whether there is nothing to show (default: every value is zero)."""
    frame = Frame(width, height, left=8, right=8, top=18, bottom=22)
    peak = max((float(v or 0) for _, v, _ in points), default=0) or 1
    bars = []
    for index, (label, value, value_label) in enumerate(points):
        box = frame.column(index, len(points), float(value or 0), peak, fill=0.64)
        bars.append(
            Bar(
                label=label,
                value_label=value_label,
                x=box.x,
                y=box.y,
                width=box.width,
                height=box.height,
                label_x=box.center,
                label_y=height - 6,
                value_x=box.center,
                value_y=round(box.y - 4, 1),
            )
        )
    if empty is None:
        empty = all(not v for _, v, _ in points)
    return BarChart(title, width, height, bars, frame.baseline, empty, "column")


def row_chart(
    title: str,
    points: Sequence[tuple[str, Decimal | int | None, str]],
    *,
    width: int = 640,
    row_height: int = 26,
    label_width: int = 250,
    maximum: float | None = None,
) -> BarChart:
    """Horizontal bars, one row each: (label at the left, value, label after the bar)."""
    plot_width = width - label_width - 60
    peak = maximum or max((float(v or 0) for _, v, _ in points), default=0) or 1
    bars = []
    for index, (label, value, value_label) in enumerate(points):
        bar_width = scaled(float(value or 0), peak, plot_width)
        y = 6 + index * row_height
        bars.append(
            Bar(
                label=label,
                value_label=value_label,
                x=label_width,
                y=y,
                width=round(bar_width, 1),
                height=row_height - 8,
                label_x=label_width - 8,
                label_y=y + row_height / 2,
                value_x=round(label_width + bar_width + 6, 1),
                value_y=y + row_height / 2,
            )
        )
    height = 12 + len(points) * row_height
    return BarChart(title, width, height, bars, label_width, not points, "row")
