"""A billing run survives a worker killed with SIGKILL in the middle of a chunk: real
Celery worker processes on Redis, real PostgreSQL, and the run finishes once.

The second chunk is held inside its transaction (a trigger waits on an advisory lock
that the test holds) so that the kill lands at a known point: one chunk committed, one
half written. After the kill the unacknowledged message comes back (the Redis
visibility timeout, short here) or is requeued at once (a pool process lost:
reject_on_worker_lost), and the next attempt takes the run over once its lease lapsed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection

from billing.models import (
    BillingRun,
    BillingRunStatus,
    BillingScheduleLine,
    Invoice,
    InvoiceLine,
    ScheduleLineStatus,
)
from billing.services import queue_billing_run
from billing.services.run_lease import is_stalled
from config.celery import app
from tests.factories import active_contract

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LOCK_KEY = 730_018  # the advisory lock the held chunk waits on
LEASE_SECONDS = 2
ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, seconds: float = 60, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def conninfo() -> str:
    db = connection.settings_dict
    return (
        f"host={db['HOST']} port={db['PORT'] or 5432} dbname={db['NAME']} "
        f"user={db['USER']} password={db['PASSWORD']}"
    )


@pytest.fixture
def on_redis(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no broker for a real worker")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.LEDGERLINE_BILLING_RUN_LEASE_SECONDS = LEASE_SECONDS
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", settings.REDIS_URL)
    broker = redis.Redis.from_url(settings.REDIS_URL)
    app.control.purge()  # nothing left over from an earlier run on this Redis db
    broker.delete("unacked", "unacked_index")
    yield broker
    app.control.purge()
    broker.delete("unacked", "unacked_index")


@pytest.fixture
def workers():
    """start(pool) -> a real `celery worker` process on the test database."""
    started: list[subprocess.Popen] = []
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        ),
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "LEDGERLINE_BILLING_RUN_LEASE_SECONDS": str(LEASE_SECONDS),
        "LEDGERLINE_BILLING_CHUNK_SIZE": "1",
        "PYTHONPATH": str(ROOT),
    }

    def start(pool: str = "solo") -> subprocess.Popen:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning"]
        command += ["--pool", pool, "--concurrency", "1", "--without-gossip", "--without-mingle"]
        command += ["-n", f"crash-{len(started)}-{os.getpid()}@%h"]
        process = subprocess.Popen(command, cwd=ROOT, env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()  # only the workers this test started, by their own handle
            process.wait(timeout=30)


@pytest.fixture
def held_chunk():
    """hold(account) -> inserting that account's invoice waits, mid-transaction, until
    release(); the test's own connection holds the lock."""
    holder = psycopg.connect(conninfo(), autocommit=True)
    created = []

    def hold(account_id: int):
        holder.execute(f"SELECT pg_advisory_lock({LOCK_KEY})")
        holder.execute(
            "CREATE FUNCTION hold_invoice() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.account_id = {int(account_id)} THEN "
            f"PERFORM pg_advisory_xact_lock_shared({LOCK_KEY}); END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        holder.execute(
            "CREATE TRIGGER hold_invoice BEFORE INSERT ON billing_invoice "
            "FOR EACH ROW EXECUTE FUNCTION hold_invoice()"
        )
        created.append(True)

    def waiting() -> bool:
        row = holder.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        ).fetchone()
        return row[0] > 0

    def release():
        holder.execute("SELECT pg_advisory_unlock_all()")

    hold.waiting = waiting
    hold.release = release
    yield hold
    release()
    if created:
        holder.execute("DROP TRIGGER IF EXISTS hold_invoice ON billing_invoice")
        holder.execute("DROP FUNCTION IF EXISTS hold_invoice()")
    holder.close()


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def three_contracts_queued_for_billing():
    contracts = sorted((active_contract() for _ in range(3)), key=lambda c: c.pk)
    return contracts


def assert_billed_exactly_once(run_id: int, contracts, broker) -> BillingRun:
    run = BillingRun.objects.get(pk=run_id)
    assert run.status == BillingRunStatus.COMPLETED, run.error
    billed = sorted(Invoice.objects.filter(billing_run=run).values_list("contract_id", flat=True))
    assert billed == [c.pk for c in contracts]  # one invoice per contract, none twice
    assert not BillingScheduleLine.objects.filter(
        contract__in=contracts, billing_date__lte=run.run_date, status=ScheduleLineStatus.PENDING
    ).exists()
    assert run.invoices_created == 3
    assert run.lines_billed == InvoiceLine.objects.count()
    assert run.totals["by_currency"]["USD"]["invoices"] == 3
    # The message was acknowledged once the run was done: nothing left to deliver again.
    wait_until(lambda: broker.hlen("unacked") == 0, 15, "the message to be acknowledged")
    assert broker.llen("celery") == 0
    return run


def test_a_worker_killed_mid_chunk_leaves_the_run_to_the_next_worker_which_bills_it_once(
    on_redis, workers, held_chunk
):
    contracts = three_contracts_queued_for_billing()
    held_chunk(contracts[1].account_id)
    first = workers("solo")

    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    wait_until(lambda: BillingRun.objects.get(pk=run.pk).groups_done == 1, what="the first chunk")
    wait_until(held_chunk.waiting, what="the second chunk to be held mid-transaction")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    held_chunk.release()

    assert Invoice.objects.filter(billing_run_id=run.pk).count() == 1  # chunk 2 rolled back
    assert BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.RUNNING
    wait_until(
        lambda: is_stalled(BillingRun.objects.get(pk=run.pk)), 10, "the run to show as stalled"
    )

    workers("solo")  # the message comes back after the visibility timeout
    wait_until(
        lambda: BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.COMPLETED,
        what="the run to complete on the second worker",
    )
    done = assert_billed_exactly_once(run.pk, contracts, on_redis)
    assert done.attempts == 2


def test_a_pool_process_killed_mid_chunk_is_replaced_and_the_run_finishes_once(
    on_redis, workers, held_chunk
):
    contracts = three_contracts_queued_for_billing()
    held_chunk(contracts[1].account_id)
    worker = workers("prefork")

    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    wait_until(held_chunk.waiting, what="the second chunk to be held mid-transaction")
    (pool_process,) = wait_until(lambda: children_of(worker.pid), what="the pool process")
    os.kill(pool_process, signal.SIGKILL)
    held_chunk.release()

    # The same worker gets the message back at once, waits for the dead attempt's lease
    # to lapse (the task retries), then takes the run over.
    wait_until(
        lambda: BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.COMPLETED,
        what="the run to complete after the pool process was replaced",
    )
    done = assert_billed_exactly_once(run.pk, contracts, on_redis)
    assert done.attempts == 2
    assert worker.poll() is None  # the worker itself lived on
