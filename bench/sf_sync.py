#!/usr/bin/env python
"""Salesforce booking sync benchmark (issue 13: booking sync at 1,000 records/s).

Starts the Salesforce simulator in its own process and seeds it with N opportunities (3
line items each, about 58% Closed Won, one account per 25 opportunities), runs a first
full sync into a fresh PostgreSQL database, then changes 1% of the opportunities in
Salesforce (a new PO number) and runs an incremental sync. Both go through
simple-salesforce over HTTPS, exactly as in production. Prints records per second, HTTP
requests and database queries per record (counted with a cheap execute_wrapper), where
the time went, and the ratio to bulk-inserting the same rows (multi-row INSERT and COPY)
measured in the same run.

The simulator runs in a separate process because the real Salesforce is remote: in one
process its answering (SOQL, JSON rendering, TLS) would hold the GIL against the sync and
be counted as the sync's own CPU time. `--in-process` runs it in a thread of this process
instead (the old set-up) for comparison; `--profile FILE` writes a cProfile of the syncs.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/sf_sync.py --opportunities 50000
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import random
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from common import fresh_database, timed

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _seed_and_change(sim, command: str, options: dict):
    if command == "seed":
        summary = sim.seed(**options)
        won = sum(1 for o in sim.store.all("Opportunity") if o["StageName"] == "Closed Won")
        return {
            "accounts": len(summary.accounts),
            "contacts": len(summary.contacts),
            "opportunities": len(summary.opportunities),
            "line_items": summary.line_items,
            "won": won,
        }
    if command == "change":
        rng = random.Random(options["seed"])
        ids = [o["Id"] for o in sim.store.all("Opportunity")]
        chosen = rng.sample(ids, max(1, len(ids) * options["percent"] // 100))
        for index, sf_id in enumerate(chosen):
            sim.store.update("Opportunity", sf_id, {"PO_Number__c": f"PO-BENCH-{index:06d}"})
        return len(chosen)
    if command == "session":
        return sim.issue_session()
    if command == "requests":
        return sim.request_count
    if command == "cpu":
        return time.process_time()
    raise ValueError(command)


def _serve(conn) -> None:
    """The simulator's process: serve HTTPS from a thread, take commands from the pipe."""
    from integrations.salesforce.simulator import Clock, SalesforceSimulator

    sim = SalesforceSimulator(clock=Clock(START)).start()
    conn.send((sim.url, str(sim.cert_path)))
    while True:
        command, options = conn.recv()
        if command == "stop":
            sim.stop()
            conn.send(None)
            return
        conn.send(_seed_and_change(sim, command, options))


class SimulatorProcess:
    """The simulator in its own process (as Salesforce is remote), driven over a pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        self.url, self.cert_path = self.conn.recv()

    def ask(self, command: str, **options):
        self.conn.send((command, options))
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(timeout=10)


class SimulatorThread:
    """The old set-up: the simulator in a thread of this process (shares the GIL)."""

    def __init__(self) -> None:
        from integrations.salesforce.simulator import Clock, SalesforceSimulator

        self.sim = SalesforceSimulator(clock=Clock(START)).start()
        self.url, self.cert_path = self.sim.url, str(self.sim.cert_path)

    def ask(self, command: str, **options):
        return _seed_and_change(self.sim, command, options)

    def stop(self) -> None:
        self.sim.stop()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def configure(sim) -> None:
    from django.conf import settings

    settings.SALESFORCE_INSTANCE_URL = sim.url
    settings.SALESFORCE_SESSION_ID = sim.ask("session")
    settings.SALESFORCE_CA_BUNDLE = sim.cert_path
    settings.SALESFORCE_USERNAME = ""
    settings.SALESFORCE_TIMEOUT = 120


def postgres_cpu_seconds() -> float:
    """CPU seconds of this connection's PostgreSQL backend process so far (user + system,
    from /proc: the server runs on this machine), 0.0 where it can't be read."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def profiled(profile: cProfile.Profile | None):
    if profile is None:
        yield
        return
    profile.enable()
    try:
        yield
    finally:
        profile.disable()


def measured_sync(sim, label: str, results: dict, profile=None) -> None:
    from django.db import connection

    from integrations.salesforce.services import run_sync_now

    counter = QueryCounter()
    requests_before = sim.ask("requests")
    sim_cpu_before = sim.ask("cpu")
    pg_cpu_before = postgres_cpu_seconds()
    cpu_before = time.process_time()
    with (
        connection.execute_wrapper(counter),
        timed(results, f"{label}_seconds"),
        profiled(profile),
    ):
        run = run_sync_now()
    # CPU seconds of this process (the sync; with --in-process the simulator too): on a
    # shared machine wall time also counts the time other processes held the CPU.
    results[f"{label}_cpu_seconds"] = time.process_time() - cpu_before
    results[f"{label}_sim_cpu_seconds"] = sim.ask("cpu") - sim_cpu_before
    results[f"{label}_pg_cpu_seconds"] = postgres_cpu_seconds() - pg_cpu_before
    if run.status != "succeeded":
        raise SystemExit(f"{label} sync {run.status}: {run.error}")
    results[f"{label}_run"] = run
    results[f"{label}_queries"] = counter.count
    results[f"{label}_requests"] = sim.ask("requests") - requests_before


def table_counts() -> dict[str, tuple[int, str | None, object]]:
    """Per table: its row count, its primary key column and the highest key in it."""
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            pk = connection.introspection.get_primary_key_column(cursor, table)
            cursor.execute(
                f'SELECT count(*), max("{pk}") FROM "{table}"'
                if pk
                else f'SELECT count(*), NULL FROM "{table}"'
            )
            count, highest = cursor.fetchone()
            counts[table] = (count, pk, highest)
        return counts


def baselines(before: dict[str, int], results: dict, label: str) -> None:
    """The rows a sync added, inserted again into scratch copies of their tables:
    once with multi-row INSERTs (psycopg executemany, pipelined) and once with COPY. Both
    are what the database needs at least; the sync's ratio to them is its overhead."""
    from django.db import connection

    after = table_counts()
    # Tables with rows added: a higher key (lines replaced keep the count), or more rows.
    grown = [
        t
        for t, (n, pk, highest) in after.items()
        if t in before and (highest != before[t][2] or n > before[t][0])
    ]
    rows = {}
    with connection.cursor() as cursor:
        for table in grown:
            _, pk, highest = before[table]
            if pk and highest is not None:
                cursor.execute(f'SELECT * FROM "{table}" WHERE "{pk}" > %s', [highest])
            else:
                cursor.execute(f'SELECT * FROM "{table}"')
            rows[table] = cursor.fetchall()
    raw = connection.connection
    for way in ("insert", "copy"):
        with raw.cursor() as cursor:
            for table in grown:
                cursor.execute(
                    f'CREATE TEMP TABLE "bench_{table}" (LIKE "{table}" INCLUDING DEFAULTS)'
                )
            raw.commit()
            start = time.perf_counter()
            for table, data in rows.items():
                if not data:
                    continue
                if way == "insert":
                    marks = ", ".join(["%s"] * len(data[0]))
                    cursor.executemany(f'INSERT INTO "bench_{table}" VALUES ({marks})', data)
                else:
                    with cursor.copy(f'COPY "bench_{table}" FROM STDIN') as copy:
                        for row in data:
                            copy.write_row(row)
            raw.commit()
            results[f"{label}_baseline_{way}_seconds"] = time.perf_counter() - start
            for table in grown:
                cursor.execute(f'DROP TABLE "bench_{table}"')
            raw.commit()
    results[f"{label}_baseline_rows"] = sum(len(d) for d in rows.values())
    results[f"{label}_baseline_tables"] = len(grown)
    seconds = results[f"{label}_seconds"]
    print(
        f"  baseline: the {results[f'{label}_baseline_rows']} rows it added "
        f"({len(grown)} tables, history and sync bookkeeping included) take "
        f"{results[f'{label}_baseline_insert_seconds']:.1f} s as bulk INSERTs and "
        f"{results[f'{label}_baseline_copy_seconds']:.1f} s as COPY: the sync takes "
        f"{seconds / results[f'{label}_baseline_insert_seconds']:.1f}x bulk INSERT, "
        f"{seconds / results[f'{label}_baseline_copy_seconds']:.1f}x COPY"
    )


def report(label: str, results: dict, separate: bool) -> None:
    run = results[f"{label}_run"]
    seconds = results[f"{label}_seconds"]
    counts = run.counts_by_object
    opportunities = counts.get("Opportunity", {}).get("fetched", 0)
    # Salesforce records read, each once: opportunities, their line items, accounts,
    # contacts and products (line items, accounts and products arrive inside the deals).
    records = sum(c.get("read", 0) for c in counts.values())
    queries = results[f"{label}_queries"]
    requests = results[f"{label}_requests"]
    print(f"\n{label} sync: {seconds:.1f} s (load average {load()})")
    print(
        f"  read {opportunities} opportunities ({run.fetched} top-level records, {records} "
        f"Salesforce records in all); wrote {run.created} new rows, updated {run.updated}, "
        f"{run.unchanged} unchanged, {run.contracts_created} draft contracts, "
        f"{run.counts_by_object.get('Contract', {}).get('updated', 0)} contracts updated"
    )
    timings = run.timings
    where = "the simulator's process" if separate else "the in-process simulator"
    print(
        "  time: "
        + ", ".join(
            f"{part} {timings.get(part, 0):.1f} s" for part in ["salesforce", "write", "contracts"]
        )
        + f" (salesforce = waiting for pages: HTTPS + {where} answering)"
    )
    if not opportunities:
        print(f"  HTTP requests: {requests}; DB queries: {queries}")
        return
    per = opportunities
    cpu = results[f"{label}_cpu_seconds"]
    sim_cpu = results[f"{label}_sim_cpu_seconds"] if separate else 0.0
    pg_cpu = results[f"{label}_pg_cpu_seconds"]
    print(
        f"  {opportunities / seconds:.0f} opportunities/s, {records / seconds:.0f} records/s "
        f"(wall); CPU seconds: the sync's process {cpu:.1f} ({records / max(cpu, 1e-9):.0f} "
        f"records per CPU s, {1000 * cpu / max(records, 1):.2f} CPU s per 1,000 records), "
        f"its PostgreSQL backend {pg_cpu:.1f}"
        + (f", the simulator's process {sim_cpu:.1f}" if separate else "")
        + f"; sync + PostgreSQL: {records / max(cpu + pg_cpu, 1e-9):.0f} records per CPU s"
    )
    print(
        f"  HTTP requests: {requests} ({requests / per:.4f} per opportunity); "
        f"DB queries: {queries} ({queries / per:.2f} per opportunity, "
        f"{queries / max(records, 1):.4f} per record)"
    )


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=50000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--database", default="ledgerline_bench_sfsync")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--in-process", action="store_true", help="the simulator in a thread of this process"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the syncs here")
    args = parser.parse_args()

    print(f"load average at start: {load()} ({os.cpu_count()} CPUs)")
    sim = SimulatorThread() if args.in_process else SimulatorProcess()
    separate = not args.in_process
    fresh_database(args.database)
    # CPU time, not wall: on a loaded machine wall time mostly measures the wait for a CPU.
    profile = cProfile.Profile(time.process_time) if args.profile else None
    results: dict = {}
    try:
        with timed(results, "seed_seconds"):
            summary = sim.ask(
                "seed",
                accounts=max(args.opportunities // 25, 3),
                opportunities=args.opportunities,
                lines_per_opportunity=args.lines,
                seed=args.seed,
            )
        print(
            f"simulator ({'its own process' if separate else 'in this process'}): "
            f"{summary['accounts']} accounts, {summary['contacts']} contacts, "
            f"{summary['opportunities']} opportunities ({summary['won']} Closed Won), "
            f"{summary['line_items']} line items; seeded in {results['seed_seconds']:.1f} s"
        )
        configure(sim)
        before = table_counts()
        measured_sync(sim, "full", results, profile)
        report("full", results, separate)
        baselines(before, results, "full")
        start = time.perf_counter()
        changed = sim.ask("change", percent=1, seed=args.seed)
        print(
            f"\nchanged {changed} opportunities in Salesforce ({time.perf_counter() - start:.1f} s)"
        )
        before = table_counts()
        measured_sync(sim, "incremental", results, profile)
        report("incremental", results, separate)
        baselines(before, results, "incremental")
        measured_sync(sim, "idle", results, profile)
        report("idle", results, separate)
    finally:
        sim.stop()
    if profile is not None:
        profile.dump_stats(args.profile)
        print(f"\nprofile of the syncs: {args.profile} (python -m pstats)")


if __name__ == "__main__":
    main()
