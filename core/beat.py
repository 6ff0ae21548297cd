"""Periodic tasks seeded in django-celery-beat after migrate: created once with their
default schedule, then left to the admin (an edited schedule or a disabled task is kept).
Migrations that seed a task pass their historical models instead (collections_app 0003)."""

from __future__ import annotations


def seed_crontab_task(
    *, name: str, task: str, crontab: dict, description: str, enabled: bool = True,
    using: str = "default",
) -> None:  # fmt: skip
    """Creates the periodic task `name` on `crontab` (CrontabSchedule fields, timezone
    included) unless it exists; nothing before django-celery-beat's tables do."""
    from django.db import connections
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return
    tasks = PeriodicTask.objects.using(using)
    if tasks.filter(name=name).exists():
        return
    schedules = CrontabSchedule.objects.using(using)
    schedule = schedules.filter(**crontab).first() or schedules.create(**crontab)
    tasks.create(name=name, task=task, crontab=schedule, enabled=enabled, description=description)
