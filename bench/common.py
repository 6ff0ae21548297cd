"""Shared set-up for benchmarks: a fresh PostgreSQL database, migrated, and timing."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database(name: str) -> str:
    """Drop and create `name` next to DATABASE_URL's database; point Django at it."""
    import psycopg

    base = os.environ.get(
        "DATABASE_URL", "postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline"
    )
    parsed = urlparse(base)
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunparse(parsed._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)  # no broker: nothing is enqueued for real
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


@contextmanager
def timed(results: dict, key: str):
    start = time.perf_counter()
    yield
    results[key] = time.perf_counter() - start


def active_monthly_contracts(accounts: list, product, n_contracts: int, months: int):
    """N active USD contracts billed monthly from 1 Jan 2026, one seat line each (quantity
    and discount vary so that several schedule shapes occur). Returns (contracts, lines)."""
    from datetime import date, timedelta
    from decimal import Decimal

    from core.terms import add_months
    from ordermgmt.models import Contract, ContractLine

    start = date(2026, 1, 1)
    end = add_months(start, months) - timedelta(days=1)
    # bulk_create skips Contract.save(): the fixture is created active on purpose.
    contracts = Contract.objects.bulk_create(
        Contract(
            name=f"C{i}",
            account=accounts[i % len(accounts)],
            status="active",
            start_date=start,
            end_date=end,
            currency="USD",
            billing_frequency="monthly",
            payment_terms="NET30",
        )
        for i in range(n_contracts)
    )
    lines = ContractLine.objects.bulk_create(
        ContractLine(
            contract=c,
            product=product,
            currency="USD",
            quantity=10 + i % 7,
            unit_price=Decimal("1200"),
            discount_percent=Decimal(i % 20),
        )
        for i, c in enumerate(contracts)
    )
    return contracts, lines


class BackendClock:
    """CPU seconds of this process and of its PostgreSQL backend (read from /proc when
    the server runs on this machine): on a shared machine wall time says how busy the
    others were, CPU seconds what the work cost."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.stat = f"/proc/{cursor.fetchone()[0]}/stat"
        self.tick = os.sysconf("SC_CLK_TCK")

    def backend(self) -> float | None:
        try:
            with open(self.stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None  # the server runs elsewhere
        return (int(fields[11]) + int(fields[12])) / self.tick

    @contextmanager
    def measure(self, results: dict, key: str):
        """results[key] = {"wall", "client", "backend"} seconds of the block."""
        wall, client, backend = time.perf_counter(), time.process_time(), self.backend()
        yield
        after = self.backend()
        results[key] = {
            "wall": time.perf_counter() - wall,
            "client": time.process_time() - client,
            "backend": None if backend is None or after is None else after - backend,
        }
