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
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordermgmt.settings")
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
