"""Geometry of the small inline SVG charts on the AR report pages, computed on the
server: no chart library, nothing loaded from elsewhere. Templates draw what these
functions place; labels are plain strings, escaped by the template like any text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.charts import axis_ticks, nice_top, short_amount


@dataclass(frozen=True)
class Column:
    label: str
    value_label: str
    x: float
    y: float
    width: float
    height: float
    center: float
    value_y: float
    tone: int  # 0 (current) .. 4 (oldest): the template colours by it


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class Point:
    label: str
    value_label: str
    x: float
    y: float | None  # None: no value (no sales that month, or no FX rate)

    @property
    def value_y(self) -> float | None:
        return None if self.y is None else round(self.y - 9, 1)


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    baseline: float
    left: float
    columns: list[Column]
    points: list[Point]
    grid: list[GridLine]
    empty: bool

    @property
    def label_y(self) -> float:
        return self.height - 8

    @property
    def tick_x(self) -> float:
        return self.left - 6

    @property
    def gap_y(self) -> float:
        return self.baseline - 6

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points if p.y is not None)


def _short(value: float) -> str:
    return short_amount(value, small_format="g")


def _grid(top: float, plot_top: float, plot_height: float, lines: int = 4) -> list[GridLine]:
    return [
        GridLine(y, text)
        for y, text in axis_ticks(top, plot_top, plot_height, lines=lines, label=_short)
    ]


def column_chart(
    title: str,
    points: Sequence[tuple[str, Decimal | None, str]],
    *,
    width: int = 940,
    height: int = 240,
) -> Chart:
    """One column per (label, value, value label); negative values draw as zero."""
    left, right, top, bottom = 48, 8, 20, 26
    plot_height = height - top - bottom
    values = [max(float(v or 0), 0.0) for _, v, _ in points]
    peak = nice_top(max(values, default=0))
    slot = (width - left - right) / max(len(points), 1)
    bar_width = min(slot * 0.62, 90)
    columns = []
    for index, ((label, _, value_label), value) in enumerate(zip(points, values, strict=True)):
        bar_height = plot_height * value / peak
        x = left + index * slot + (slot - bar_width) / 2
        y = top + plot_height - bar_height
        columns.append(
            Column(
                label=label,
                value_label=value_label,
                x=round(x, 1),
                y=round(y, 1),
                width=round(bar_width, 1),
                height=round(bar_height, 1),
                center=round(x + bar_width / 2, 1),
                value_y=round(y - 5, 1),
                tone=min(round(4 * index / max(len(points) - 1, 1)), 4),
            )
        )
    return Chart(
        title=title,
        width=width,
        height=height,
        baseline=top + plot_height,
        left=left,
        columns=columns,
        points=[],
        grid=_grid(peak, top, plot_height),
        empty=not any(values),
    )


def line_chart(
    title: str,
    points: Sequence[tuple[str, Decimal | None, str]],
    *,
    width: int = 940,
    height: int = 220,
) -> Chart:
    """A line through (label, value, value label); a None value leaves a gap marker."""
    left, right, top, bottom = 48, 16, 22, 26
    plot_height = height - top - bottom
    values = [None if v is None else max(float(v), 0.0) for _, v, _ in points]
    peak = nice_top(max((v for v in values if v is not None), default=0))
    step = (width - left - right) / max(len(points) - 1, 1)
    placed = []
    for index, ((label, _, value_label), value) in enumerate(zip(points, values, strict=True)):
        x = round(left + index * step, 1) if len(points) > 1 else left + (width - left) / 2
        y = None if value is None else round(top + plot_height * (1 - value / peak), 1)
        placed.append(Point(label, value_label, x, y))
    return Chart(
        title=title,
        width=width,
        height=height,
        baseline=top + plot_height,
        left=left,
        columns=[],
        points=placed,
        grid=_grid(peak, top, plot_height),
        empty=all(v is None for v in values),
    )
