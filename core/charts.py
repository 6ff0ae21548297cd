"""The one chart module: helpers every inline SVG chart shares (the AR reports', the
revenue pages', the deal desk's): a round top for the value axis, short axis labels,
where the gridlines go, and the scales and placement of bars, columns and line points.
Geometry is computed on the server (no chart library, nothing loaded from elsewhere);
each page's module only names what its template draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def nice_top(peak: float) -> float:
    """A round number at or above peak: 1, 2, 2.5 or 5 times a power of ten."""
    if peak <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(peak))) - 1) if peak >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if peak <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def short_amount(value: float, small_format: str = ",.0f") -> str:
    """12,500 -> "12.5k", 3,000,000 -> "3M"; below a thousand, ``small_format``."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 1_000:
        return f"{value / 1_000:.1f}k".replace(".0k", "k")
    return format(value, small_format)


def axis_ticks(
    top_value: float,
    plot_top: float,
    plot_height: float,
    *,
    lines: int = 4,
    label: Callable[[float], str] = short_amount,
) -> list[tuple[float, str]]:
    """(y, label) of each gridline from 0 (bottom) to ``top_value`` (top)."""
    return [
        (round(plot_top + plot_height * (1 - i / lines), 1), label(top_value * i / lines))
        for i in range(lines + 1)
    ]


# --- Scales and placement: what the bar, column and line charts are drawn with --------


def scaled(value: float, peak: float, length: float) -> float:
    """The length that `value` takes on an axis `length` long whose end stands for `peak`."""
    return length * value / peak if peak else 0.0


@dataclass(frozen=True)
class Box:
    """One placed bar: its rectangle and its middle, rounded to a tenth of a pixel."""

    x: float
    y: float
    width: float
    height: float
    center: float


@dataclass(frozen=True)
class Frame:
    """A chart of `width` x `height` pixels and the margins around its plot area (axis
    labels on the left, bar labels below). Values run up from the baseline."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> float:
        return self.top + self.plot_height

    def y_of(self, value: float, top_value: float, floor: float = 0.0) -> float:
        """The height at which `value` sits on an axis from `floor` to `floor + top_value`."""
        return self.baseline - scaled(value - floor, top_value, self.plot_height)

    def slot(self, count: int) -> float:
        """The width each of `count` bars has, side by side across the plot."""
        return self.plot_width / max(count, 1)

    def column(
        self,
        index: int,
        count: int,
        value: float,
        top_value: float,
        *,
        fill: float,
        max_width: float | None = None,
    ) -> Box:
        """Column `index` of `count` standing on the baseline: `fill` of its slot wide (at
        most `max_width`), centred in it, `value` (at least zero) of `top_value` high."""
        slot = self.slot(count)
        width = slot * fill if max_width is None else min(slot * fill, max_width)
        x = self.left + index * slot + (slot - width) / 2
        height = scaled(max(value, 0.0), top_value, self.plot_height)
        y = self.baseline - height
        return Box(
            round(x, 1), round(y, 1), round(width, 1), round(height, 1), round(x + width / 2, 1)
        )

    def x_at(self, index: int, count: int) -> float:
        """Point `index` of `count` spread evenly from the left edge to the right one."""
        if count <= 1:
            return self.left + (self.width - self.left) / 2
        return round(self.left + index * self.plot_width / (count - 1), 1)

    def ticks(
        self, top_value: float, *, lines: int = 4, label: Callable[[float], str] = short_amount
    ) -> list[tuple[float, str]]:
        return axis_ticks(top_value, self.top, self.plot_height, lines=lines, label=label)
