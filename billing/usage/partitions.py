"""Monthly partitions of the raw usage table on PostgreSQL (`usage_event`).

Partitions are made ahead by a beat task (`ensure_usage_partitions`); an event for a month
without one lands in the DEFAULT partition, and making that month's partition later moves
its rows out of DEFAULT first, so nothing is refused for want of a partition. Old months
are dropped whole (`drop_usage_partitions`), which costs nothing like a DELETE. SQLite
(the demo) has a plain table and nothing to do."""

from __future__ import annotations

from datetime import date

from django.db import connection

from core.terms import add_months

PARENT = "usage_event"
DEFAULT = "usage_event_default"

CREATE_POSTGRESQL = f"""
CREATE TABLE {PARENT} (
    event_id varchar(128) NOT NULL,
    occurred_at timestamptz NOT NULL,
    usage_date date NOT NULL,
    contract_id bigint NOT NULL,
    metric varchar(64) NOT NULL,
    quantity numeric(24, 6) NOT NULL CHECK (quantity >= 0),
    batch_id bigint NOT NULL,
    usage_month date NOT NULL,
    PRIMARY KEY (event_id, usage_month)
) PARTITION BY RANGE (usage_month);
CREATE TABLE {DEFAULT} PARTITION OF {PARENT} DEFAULT;
"""

CREATE_PLAIN = f"""
CREATE TABLE {PARENT} (
    event_id varchar(128) NOT NULL,
    occurred_at datetime NOT NULL,
    usage_date date NOT NULL,
    contract_id bigint NOT NULL,
    metric varchar(64) NOT NULL,
    quantity decimal NOT NULL CHECK (quantity >= 0),
    batch_id bigint NOT NULL,
    usage_month date NOT NULL,
    PRIMARY KEY (event_id, usage_month)
);
"""


def partition_name(month: date) -> str:
    return f"{PARENT}_y{month.year}m{month.month:02d}"


def existing_partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [PARENT],
        )
        return {row[0] for row in cursor.fetchall()}


def ensure_partitions(months: list[date]) -> list[str]:
    """Make the monthly partitions of these months (first days) that are missing; returns
    the names made. Call inside a transaction: moving rows out of DEFAULT and attaching
    are one step."""
    if connection.vendor != "postgresql":
        return []
    have = existing_partitions()
    made = []
    with connection.cursor() as cursor:
        for month in sorted(set(months)):
            name = partition_name(month)
            if name in have:
                continue
            start, end = month.isoformat(), add_months(month, 1).isoformat()
            cursor.execute(
                f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            cursor.execute(
                f"WITH moved AS (DELETE FROM {DEFAULT} WHERE usage_month >= %s "
                f"AND usage_month < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved",
                [start, end],
            )
            cursor.execute(
                f"ALTER TABLE {PARENT} ATTACH PARTITION {name} "
                f"FOR VALUES FROM ('{start}') TO ('{end}')"
            )
            made.append(name)
    return made


def months_around(today: date, *, back: int = 1, ahead: int = 3) -> list[date]:
    first = today.replace(day=1)
    return [add_months(first, offset) for offset in range(-back, ahead + 1)]


def drop_partitions(*, before: date) -> list[str]:
    """Drop whole months that end before `before` (retention)."""
    if connection.vendor != "postgresql":
        return []
    dropped = []
    with connection.cursor() as cursor:
        for name in sorted(existing_partitions()):
            if name == DEFAULT:
                continue
            year, month = int(name[-7:-3]), int(name[-2:])
            if add_months(date(year, month, 1), 1) <= before:
                cursor.execute(f"DROP TABLE {name}")
                dropped.append(name)
    return dropped
