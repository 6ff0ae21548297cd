"""The helpers every SVG chart shares."""

import pytest

from core.charts import axis_ticks, nice_top, short_amount


@pytest.mark.parametrize(
    ("peak", "top"), [(0, 1.0), (0.4, 1.0), (7, 10.0), (180, 200.0), (2400, 2500.0), (51_000, 1e5)]
)
def test_the_axis_top_is_a_round_number_at_or_above_the_peak(peak, top):
    assert nice_top(peak) == top


def test_axis_labels_are_short_and_the_small_format_is_the_callers():
    assert [short_amount(v) for v in (3_000_000, 12_500, 950.4)] == ["3M", "12.5k", "950"]
    assert short_amount(2.5, "g") == "2.5"


def test_gridlines_run_from_zero_at_the_bottom_to_the_top_value():
    ticks = axis_ticks(1000.0, 10, 100)
    assert ticks[0] == (110.0, "0") and ticks[-1] == (10.0, "1k")
    assert len(ticks) == 5
