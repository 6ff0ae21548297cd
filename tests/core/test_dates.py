"""Calendar-month arithmetic: clamped to the month's end, leap years included."""

from datetime import date

import pytest

from core.dates import add_months, month_end, month_start


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_month_start_and_end_bound_the_month():
    assert (month_start(date(2028, 2, 10)), month_end(date(2028, 2, 10))) == (
        date(2028, 2, 1),
        date(2028, 2, 29),
    )
