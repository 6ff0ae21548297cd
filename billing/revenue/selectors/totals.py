"""The maintained revenue totals checked against the schedule lines (PostgreSQL)."""

from __future__ import annotations

from django.db import connection

from .. import totals_sql


def revenue_totals_drift() -> list[tuple]:
    """(table, contract id, currency, key, kept, recomputed) of every maintained row that
    differs from the same figure recomputed from every line; [] when they agree."""
    with connection.cursor() as cursor:
        cursor.execute(totals_sql.DRIFT_SQL)
        return cursor.fetchall()


def refill_revenue_totals() -> None:
    with connection.cursor() as cursor:
        totals_sql.fill(cursor.execute)
