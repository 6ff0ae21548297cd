"""The demo loaders' clock: the demo book's history is loaded as it happened, not as it
was typed in.

A real book's invoice was issued on its billing run's day, a payment recorded when it
came in; the services stamp those moments with `timezone.now()` (`issued_at`, audit
history, `created_at`). While `clock_at(day)` is open, `timezone.now()` (and so
`timezone.localdate()`) reads that day, a few microseconds later at each call so that
the records keep their order, and the services stamp what they write with it. The
services run unchanged: their checks (a document date near "today", numbers that
follow dates) are checked against the day the work was done.

Only the demo loaders use it, in one process with nothing else running.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_real_now = timezone.now  # the machine's clock, whatever clock_at has set since


@contextlib.contextmanager
def clock_at(day: date, at: time = time(9)) -> Iterator[None]:
    """Nests: the inner day holds until it closes, then the outer one again."""
    previous = timezone.now
    start = timezone.make_aware(datetime.combine(day, at))
    if start > _real_now():
        start = _real_now()  # today's work: never stamped after the real moment
    ticks = itertools.count()

    def demo_now() -> datetime:
        return start + timedelta(microseconds=next(ticks))

    timezone.now = demo_now
    try:
        yield
    finally:
        timezone.now = previous
