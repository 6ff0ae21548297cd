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


def test_a_value_scales_to_its_share_of_the_axis_and_a_zero_peak_draws_nothing():
    from core.charts import scaled

    assert scaled(250.0, 1000.0, 200.0) == 50.0
    assert scaled(5.0, 0.0, 200.0) == 0.0


def test_columns_share_the_plot_width_and_stand_on_the_baseline():
    from core.charts import Frame

    frame = Frame(200, 120, left=20, right=0, top=10, bottom=10)  # plot 180 x 100
    assert (frame.plot_width, frame.plot_height, frame.baseline) == (180, 100, 110)
    first, last = (frame.column(i, 3, v, 100.0, fill=0.5) for i, v in [(0, 40.0), (2, 100.0)])
    assert (first.x, first.width, first.y, first.height, first.center) == (
        35.0, 30.0, 70.0, 40.0, 50.0,
    )  # fmt: skip
    assert (last.x, last.y, last.height) == (155.0, 10.0, 100.0)


def test_a_column_never_hangs_below_the_baseline_and_keeps_its_maximum_width():
    from core.charts import Frame

    frame = Frame(200, 120, left=20, right=0, top=10, bottom=10)
    box = frame.column(0, 1, -5.0, 100.0, fill=0.9, max_width=40)
    assert (box.width, box.height, box.y) == (40.0, 0.0, 110.0)
    assert box.x == 20 + (180 - 40) / 2


def test_line_points_spread_from_edge_to_edge_and_levels_sit_on_the_axis():
    from core.charts import Frame

    frame = Frame(200, 120, left=20, right=20, top=10, bottom=10)
    assert [frame.x_at(i, 3) for i in range(3)] == [20.0, 100.0, 180.0]
    assert frame.x_at(0, 1) == 20 + (200 - 20) / 2
    assert frame.y_of(50.0, 100.0) == 60.0
    assert frame.y_of(0.0, 100.0, floor=-50.0) == 60.0  # an axis from -50 to 50
    assert frame.ticks(100.0)[0] == (110.0, "0") and frame.ticks(100.0)[-1] == (10.0, "100")
