"""Helpers every inline SVG chart shares (the AR reports', the revenue pages'): a round
top for the value axis, short axis labels, and where the gridlines go."""

from __future__ import annotations

from collections.abc import Callable


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
