"""Per-invoice locks that hold across several HTTP calls and short transactions.

A push talks to Stripe between small commits (it stores each id as soon as it has it),
so a row lock inside one transaction cannot cover it. PostgreSQL session advisory locks
can: they live outside transactions, and a worker that dies (even by SIGKILL) loses its
connection and with it the lock, so a restarted task is never blocked by a dead one.

On SQLite (the one-process demo) there is nothing to lock against; the helpers yield.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# Two-int advisory lock keys: (namespace, invoice id). Arbitrary constants, kept apart
# from any other advisory lock user by the namespace.
PUSH = 0x5354_5001  # pushing an invoice, its credit notes, its voiding
SETTLE = 0x5354_5002  # recording a Stripe payment against an invoice


class Busy(Exception):
    """Another worker holds the lock; try again later."""


def _key(invoice_id: int) -> int:
    return int(invoice_id) % 2**31


@contextmanager
def invoice_lock(namespace: int, invoice_id: int, *, wait: bool) -> Iterator[None]:
    """Hold the (namespace, invoice) lock; without `wait`, raise Busy when it is taken."""
    if connection.vendor != "postgresql":
        yield
        return
    key = _key(invoice_id)
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [namespace, key])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
            if not cursor.fetchone()[0]:
                raise Busy(f"invoice {invoice_id} is being pushed by another worker")
    try:
        yield
    finally:
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
