"""The small inline SVG charts of the AR report pages: what their templates draw, placed
by the one chart module (core.charts). Labels are plain strings, escaped by the template
like any text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.charts import Frame, nice_top, short_amount


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


def _grid(frame: Frame, top: float) -> list[GridLine]:
    return [GridLine(y, text) for y, text in frame.ticks(top, label=_short)]


def column_chart(
    title: str,
    points: Sequence[tuple[str, Decimal | None, str]],
    *,
    width: int = 940,
    height: int = 240,
) -> Chart:
    """One column per (label, value, value label); negative values draw as zero."""
    frame = Frame(width, height, left=48, right=8, top=20, bottom=26)
    values = [max(float(v or 0), 0.0) for _, v, _ in points]
    peak = nice_top(max(values, default=0))
    columns = []
    for index, ((label, _, value_label), value) in enumerate(zip(points, values, strict=True)):
        box = frame.column(index, len(points), value, peak, fill=0.62, max_width=90)
        columns.append(
            Column(
                label=label,
                value_label=value_label,
                x=box.x,
                y=box.y,
                width=box.width,
                height=box.height,
                center=box.center,
                value_y=round(box.y - 5, 1),
                tone=min(round(4 * index / max(len(points) - 1, 1)), 4),
            )
        )
    return Chart(
        title=title,
        width=width,
        height=height,
        baseline=frame.baseline,
        left=frame.left,
        columns=columns,
        points=[],
        grid=_grid(frame, peak),
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
    frame = Frame(width, height, left=48, right=16, top=22, bottom=26)
    values = [None if v is None else max(float(v), 0.0) for _, v, _ in points]
    peak = nice_top(max((v for v in values if v is not None), default=0))
    placed = []
    for index, ((label, _, value_label), value) in enumerate(zip(points, values, strict=True)):
        y = None if value is None else round(frame.y_of(value, peak), 1)
        placed.append(Point(label, value_label, frame.x_at(index, len(points)), y))
    return Chart(
        title=title,
        width=width,
        height=height,
        baseline=frame.baseline,
        left=frame.left,
        columns=[],
        points=placed,
        grid=_grid(frame, peak),
        empty=all(v is None for v in values),
    )
