"""core.beat: the periodic tasks seeded after migrate are created once, on their
schedule, and then left as the admin edits them."""

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from billing.fx.tasks import PERIODIC_TASK_NAME, seed_refresh_schedule
from billing.revenue.tasks import COMPACTION_TASK_NAME, seed_compaction_schedule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("seed", "name", "hour", "minute", "days"),
    [
        (seed_compaction_schedule, COMPACTION_TASK_NAME, "2", "30", "*"),
        (seed_refresh_schedule, PERIODIC_TASK_NAME, "17", "0", "1-5"),
    ],
)
def test_a_seeded_task_is_created_once_and_an_edited_schedule_is_kept(
    seed, name, hour, minute, days
):
    PeriodicTask.objects.filter(name=name).delete()
    seed()
    task = PeriodicTask.objects.select_related("crontab").get(name=name)
    crontab = task.crontab
    assert (crontab.hour, crontab.minute, crontab.day_of_week) == (hour, minute, days)
    assert str(crontab.timezone) == "UTC"

    # The admin moves it and turns it off: seeding again (every migrate) keeps that.
    task.crontab = CrontabSchedule.objects.create(minute="15", hour="4", timezone="UTC")
    task.enabled = False
    task.save()
    seed()
    task = PeriodicTask.objects.select_related("crontab").get(name=name)
    assert (task.crontab.hour, task.crontab.minute, task.enabled) == ("4", "15", False)
    assert PeriodicTask.objects.filter(name=name).count() == 1


def test_tasks_on_the_same_schedule_share_one_crontab_row():
    PeriodicTask.objects.filter(name=COMPACTION_TASK_NAME).delete()
    seed_compaction_schedule()
    first = PeriodicTask.objects.get(name=COMPACTION_TASK_NAME).crontab_id
    PeriodicTask.objects.filter(name=COMPACTION_TASK_NAME).delete()
    seed_compaction_schedule()
    assert PeriodicTask.objects.get(name=COMPACTION_TASK_NAME).crontab_id == first
