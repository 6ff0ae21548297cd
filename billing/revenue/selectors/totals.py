"""The maintained revenue totals checked against the schedule lines and the billing
documents (PostgreSQL)."""

from __future__ import annotations

from django.db import connection

from .. import billed_sql, totals_sql


def revenue_totals_drift() -> list[tuple]:
    """(table, contract id, currency, key, kept, recomputed) of every maintained row that
    differs from the same figure recomputed from every line; [] when they agree."""
    with connection.cursor() as cursor:
        cursor.execute(totals_sql.DRIFT_SQL)
        found = cursor.fetchall()
        cursor.execute(billed_sql.DRIFT_SQL)
        return found + cursor.fetchall()


def refill_revenue_totals() -> None:
    with connection.cursor() as cursor:
        totals_sql.fill(cursor.execute)
        billed_sql.fill(cursor.execute)


def compact_scheduled_months() -> bool:
    """Folds the appended currency-month rows to one per key (in the caller's transaction);
    False when another compaction holds the lock (nothing done)."""
    with connection.cursor() as cursor:
        cursor.execute(totals_sql.COMPACTING_LOCK)
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(totals_sql.COMPACT_SCHEDULED_MONTHS)
        return True
