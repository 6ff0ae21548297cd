"""The maintained revenue totals under concurrent writes, on real PostgreSQL connections (one
per thread, committed): the currency months every contract of a currency shares are
appended to, not updated, so two modifications writing the same months in opposite
orders neither deadlock nor lose an amount; and the totals stay exactly those
recomputed from the lines after many concurrent writes and compactions."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from billing.revenue.models import (
    RevenueSchedule,
    RevenueScheduleLine,
    ScheduledRevenueCurrencyMonth,
)
from billing.revenue.selectors.totals import compact_scheduled_months, revenue_totals_drift
from ordermgmt.models import RevenueType

from .helpers import D, activated, line, product

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the totals are PostgreSQL's"),
]
SUB = RevenueType.SUBSCRIPTION


def current_schedules(count: int) -> list[RevenueSchedule]:
    for _ in range(count):
        activated([line(product("12000", revenue_type=SUB), "12000")])
    schedules = list(RevenueSchedule.objects.filter(is_current=True).order_by("pk"))
    # The same version date: their lines share the currency months' keys.
    assert len({s.effective_date for s in schedules}) == 1
    return schedules


def add_line(schedule: RevenueSchedule, month_end: date, amount: str) -> RevenueScheduleLine:
    template = RevenueScheduleLine.objects.filter(schedule=schedule).first()
    return RevenueScheduleLine.objects.create(
        schedule=schedule,
        obligation_id=template.obligation_id,
        contract_id=template.contract_id,
        kind=template.kind,
        period_start=month_end.replace(day=1),
        period_end=month_end,
        recognition_date=month_end,
        currency=template.currency,
        amount=D(amount),
        cumulative_amount=D(0),
    )


def in_threads(*work) -> list[BaseException]:
    """Runs each callable in its own thread (its own connection); the errors raised."""
    errors: list[BaseException] = []

    def run(job):
        try:
            job()
        except BaseException as err:  # noqa: BLE001  (reported to the test)
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def scheduled_in(month: date) -> D:
    return ScheduledRevenueCurrencyMonth.objects.filter(currency="USD", month=month).aggregate(
        total=Sum("amount")
    )["total"]


def test_two_modifications_writing_the_same_months_in_opposite_orders_both_commit():
    first, second = current_schedules(2)
    january, april = date(2026, 1, 31), date(2026, 4, 30)
    before = {m: scheduled_in(m.replace(day=1)) for m in (january, april)}
    # Each holds its first month's rows when the other asks for them: with the months
    # upserted (row locks until commit), PostgreSQL aborted one as a deadlock.
    both_wrote_once = threading.Barrier(2, timeout=30)

    def modification(schedule, months):
        with transaction.atomic():
            add_line(schedule, months[0], "100.00")
            both_wrote_once.wait()
            add_line(schedule, months[1], "10.00")

    errors = in_threads(
        lambda: modification(first, (january, april)),
        lambda: modification(second, (april, january)),
    )
    assert errors == []
    for month in (january, april):
        assert scheduled_in(month.replace(day=1)) == before[month] + D("110.00")
    assert revenue_totals_drift() == []


def test_the_totals_stay_exact_after_concurrent_writes_and_compactions():
    schedules = current_schedules(3)
    built = RevenueScheduleLine.objects.order_by("-pk").values_list("pk", flat=True).first()
    months = [date(2026, m, 1) + timedelta(days=-1) for m in range(2, 13)]
    done = threading.Event()

    def writer(schedule, shift):
        for i in range(8):
            with transaction.atomic():
                added = add_line(schedule, months[(i + shift) % len(months)], f"{i + 1}.25")
                add_line(schedule, months[(i + shift + 5) % len(months)], "-0.50")
                RevenueScheduleLine.objects.filter(pk=added.pk).update(amount=D("7.00"))
            if i % 3 == 2:
                RevenueScheduleLine.objects.filter(pk=added.pk).delete()

    def compactor():
        while not done.is_set():
            with transaction.atomic():
                compact_scheduled_months()

    compacting = threading.Thread(target=lambda: in_threads(compactor))
    compacting.start()
    errors = in_threads(*[lambda s=s, n=n: writer(s, n) for n, s in enumerate(schedules)])
    done.set()
    compacting.join(timeout=60)
    assert errors == []
    assert revenue_totals_drift() == []
    # Every write landed: each writer kept six lines of 7.00 and eight of -0.50.
    added = RevenueScheduleLine.objects.filter(pk__gt=built).aggregate(t=Sum("amount"))
    assert added["t"] == 3 * (6 * D("7.00") + 8 * D("-0.50"))
    with transaction.atomic():
        assert compact_scheduled_months()
    assert revenue_totals_drift() == []
    keys = ScheduledRevenueCurrencyMonth.objects.values("currency", "month", "known_from")
    assert keys.count() == keys.distinct().count()  # one row per key once compacted
