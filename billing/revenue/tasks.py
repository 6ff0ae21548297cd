"""Thin Celery wrappers: load by id, call one service."""

import logging

from celery import shared_task

from core.beat import seed_crontab_task
from core.errors import DomainValidationError
from ordermgmt.models import Contract

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def recognise_contract_revenue(contract_id: int, actor_id: int | None = None) -> bool:
    """Builds a contract's revenue that activation could not build (e.g. after its
    missing SSP was added). Returns False, and leaves the exception open, if it still
    cannot."""
    from django.contrib.auth import get_user_model

    from billing.revenue import services

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        services.recognise_contract_revenue(
            contract=Contract.objects.get(pk=contract_id), actor=actor
        )
    except DomainValidationError as err:
        logger.info("revenue of contract %s not built: %s", contract_id, err.code)
        return False
    return True


COMPACTION_TASK_NAME = "Compact the revenue totals' currency months"
COMPACTION_TASK = "billing.revenue.tasks.compact_revenue_totals"


@shared_task(acks_late=True)
def compact_revenue_totals() -> bool:
    """Nightly from django-celery-beat: the revenue totals' currency months are appended to
    by every revenue write (so that writers in one currency never queue or deadlock on a
    shared row) and read as sums; this folds them back to one row per key so the sums stay
    short. False on SQLite (no maintained totals) or while another compaction runs."""
    from django.db import connection, transaction

    from billing.revenue.selectors.totals import compact_scheduled_months

    if connection.vendor != "postgresql":
        return False
    with transaction.atomic():
        return compact_scheduled_months()


def seed_compaction_schedule(*, using: str = "default") -> None:
    """The nightly compaction in django-celery-beat (02:30 UTC, editable in the admin)."""
    seed_crontab_task(
        name=COMPACTION_TASK_NAME,
        task=COMPACTION_TASK,
        crontab={
            "minute": "30",
            "hour": "2",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
            "timezone": "UTC",
        },
        description="Folds the revenue totals' appended currency-month rows to one per "
        "month (manage.py check_revenue_totals --compact does the same by hand).",
        using=using,
    )
