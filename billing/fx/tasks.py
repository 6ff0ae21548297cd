"""Daily refresh of the ECB rates from settings.FX_RATES_URL (off when it is empty: the
periodic task is created disabled, and the task does nothing without a URL)."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.beat import seed_crontab_task

PERIODIC_TASK_NAME = "Refresh FX rates from the ECB"
PERIODIC_TASK = "billing.fx.tasks.refresh_fx_rates"
MAX_BYTES = 5 * 1024 * 1024


class FxSourceUnavailable(Exception):
    """The rate source did not answer; the task retries."""


def fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=settings.FX_RATES_TIMEOUT) as response:
            return response.read(MAX_BYTES)
    except OSError as err:
        raise FxSourceUnavailable(f"{url}: {err}") from err


@shared_task(
    acks_late=True,
    autoretry_for=(FxSourceUnavailable,),
    retry_backoff=300,
    retry_backoff_max=30 * 60,  # under the broker visibility timeout (see settings)
    max_retries=5,
)
def refresh_fx_rates() -> dict:
    """Idempotent: the same day's rates are upserted, not added twice."""
    from billing.fx.ecb import parse_ecb_rates
    from billing.fx.services import currencies_in_use, load_fx_rates, reporting_currencies

    url = settings.FX_RATES_URL
    if not url:
        return {"skipped": "FX_RATES_URL is not set"}
    if not url.startswith(("https://", "http://", "file://")):
        return {"skipped": "FX_RATES_URL must be an http(s) or file URL"}
    rates = parse_ecb_rates(fetch(url))
    return load_fx_rates(
        euro_rates=rates,
        currencies=currencies_in_use(),
        reporting_currencies=reporting_currencies(),
        since=timezone.localdate() - timedelta(days=30),
    ).as_dict()


def seed_refresh_schedule(*, using: str = "default") -> None:
    """The daily task in django-celery-beat, enabled only when a URL is configured."""
    seed_crontab_task(
        name=PERIODIC_TASK_NAME,
        task=PERIODIC_TASK,
        # The ECB publishes around 16:00 CET; refresh at 17:00 UTC.
        crontab={
            "minute": "0",
            "hour": "17",
            "day_of_week": "1-5",
            "day_of_month": "*",
            "month_of_year": "*",
            "timezone": "UTC",
        },
        enabled=bool(settings.FX_RATES_URL),
        description="Loads the ECB reference rates from FX_RATES_URL into FX rates "
        "(the last 30 days, upserted). Off while FX_RATES_URL is empty.",
        using=using,
    )
