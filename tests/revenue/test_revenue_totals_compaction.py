"""The revenue totals' currency months are append-only (every revenue write adds rows that
readers sum), so a nightly task folds them back to one row per key: it is scheduled in
django-celery-beat, registered with Celery, and leaves every sum as it was."""

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django_celery_beat.models import PeriodicTask

from billing.revenue.models import RevenueScheduleLine, ScheduledRevenueCurrencyMonth
from billing.revenue.selectors.totals import revenue_totals_drift
from billing.revenue.tasks import COMPACTION_TASK, COMPACTION_TASK_NAME, compact_revenue_totals
from config.celery import app
from ordermgmt.models import RevenueType

from .helpers import D, activated, line, product

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the totals are PostgreSQL's"),
]
KEY = ("currency", "known_from", "month")


def sums(months) -> list[tuple]:
    return sorted(months.values(*KEY).annotate(total=Sum("amount")).values_list(*KEY, "total"))


def test_the_compaction_runs_nightly_from_celery_beat():
    periodic = PeriodicTask.objects.select_related("crontab").get(name=COMPACTION_TASK_NAME)
    assert periodic.enabled and periodic.task == COMPACTION_TASK
    assert (periodic.crontab.hour, periodic.crontab.minute) == ("2", "30")
    app.loader.import_default_modules()
    assert COMPACTION_TASK in app.tasks


def test_the_task_folds_appended_months_to_one_row_each_and_keeps_every_sum():
    sub = RevenueType.SUBSCRIPTION
    activated([line(product("12000", revenue_type=sub), "12000")])
    # A second write to months already kept: appended rows under the same keys.
    template = RevenueScheduleLine.objects.first()
    RevenueScheduleLine.objects.create(
        schedule=template.schedule,
        obligation_id=template.obligation_id,
        contract_id=template.contract_id,
        kind=template.kind,
        period_start=template.period_start,
        period_end=template.period_end,
        recognition_date=template.recognition_date,
        currency=template.currency,
        amount=D("250.00"),
        cumulative_amount=D(0),
    )
    months = ScheduledRevenueCurrencyMonth.objects
    sums_before = sums(months)
    assert months.values(*KEY).annotate(n=Count("id")).filter(n__gt=1).exists()

    assert compact_revenue_totals.apply().get() is True

    assert not months.values(*KEY).annotate(n=Count("id")).filter(n__gt=1).exists()
    sums_after = sums(months)
    assert sums_after == sums_before and sums_after
    assert revenue_totals_drift() == []
