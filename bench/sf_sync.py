#!/usr/bin/env python
"""Salesforce booking sync benchmark (issue: booking sync).

Seeds the Salesforce simulator in-process with N opportunities (3 line items each, about
58% Closed Won, one account per 25 opportunities), runs a first full sync into a fresh
PostgreSQL database, then changes 1% of the opportunities in Salesforce (a new PO number)
and runs an incremental sync. Both go through simple-salesforce over HTTPS, exactly as in
production. Prints records per second, HTTP requests and database queries per record
(counted with a cheap execute_wrapper), and where the time went.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/sf_sync.py --opportunities 50000
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

from common import fresh_database, timed


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def configure(sim) -> None:
    from django.conf import settings

    settings.SALESFORCE_INSTANCE_URL = sim.url
    settings.SALESFORCE_SESSION_ID = sim.issue_session()
    settings.SALESFORCE_CA_BUNDLE = str(sim.cert_path)
    settings.SALESFORCE_USERNAME = ""
    settings.SALESFORCE_TIMEOUT = 120


def measured_sync(sim, label: str, results: dict) -> None:
    from django.db import connection

    from integrations.salesforce.services import run_sync_now

    counter = QueryCounter()
    requests_before = sim.request_count
    cpu_before = time.process_time()
    with connection.execute_wrapper(counter), timed(results, f"{label}_seconds"):
        run = run_sync_now()
    # CPU seconds of this process (the sync and the in-process simulator): on a shared
    # machine wall time also counts the time other processes held the CPU.
    results[f"{label}_cpu_seconds"] = time.process_time() - cpu_before
    if run.status != "succeeded":
        raise SystemExit(f"{label} sync {run.status}: {run.error}")
    results[f"{label}_run"] = run
    results[f"{label}_queries"] = counter.count
    results[f"{label}_requests"] = sim.request_count - requests_before


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


def change_one_percent(sim, n: int, seed: int) -> int:
    rng = random.Random(seed)
    ids = [o["Id"] for o in sim.store.all("Opportunity")]
    chosen = rng.sample(ids, max(1, len(ids) * n // 100))
    for index, sf_id in enumerate(chosen):
        sim.store.update("Opportunity", sf_id, {"PO_Number__c": f"PO-BENCH-{index:06d}"})
    return len(chosen)


def report(label: str, results: dict) -> None:
    run = results[f"{label}_run"]
    seconds = results[f"{label}_seconds"]
    counts = run.counts_by_object
    opportunities = counts.get("Opportunity", {}).get("fetched", 0)
    # Salesforce records read, each once: opportunities, their line items, accounts,
    # contacts and products (line items, accounts and products arrive inside the deals).
    records = sum(c.get("read", 0) for c in counts.values())
    queries = results[f"{label}_queries"]
    requests = results[f"{label}_requests"]
    print(f"\n{label} sync: {seconds:.1f} s")
    print(
        f"  read {opportunities} opportunities ({run.fetched} top-level records, {records} "
        f"Salesforce records in all); wrote {run.created} new rows, updated {run.updated}, "
        f"{run.unchanged} unchanged, {run.contracts_created} draft contracts, "
        f"{run.counts_by_object.get('Contract', {}).get('updated', 0)} contracts updated"
    )
    timings = run.timings
    print(
        "  time: "
        + ", ".join(
            f"{part} {timings.get(part, 0):.1f} s" for part in ["salesforce", "write", "contracts"]
        )
        + " (salesforce = waiting for pages: HTTPS + the in-process simulator answering)"
    )
    if not opportunities:
        print(f"  HTTP requests: {requests}; DB queries: {queries}")
        return
    per = opportunities
    cpu = results[f"{label}_cpu_seconds"]
    print(
        f"  {opportunities / seconds:.0f} opportunities/s, {records / seconds:.0f} records/s "
        f"(wall); this process used {cpu:.1f} CPU s: {records / max(cpu, 1e-9):.0f} records "
        "per CPU second (PostgreSQL's own time not included)"
    )
    print(
        f"  HTTP requests: {requests} ({requests / per:.4f} per opportunity); "
        f"DB queries: {queries} ({queries / per:.2f} per opportunity, "
        f"{queries / max(records, 1):.2f} per record)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=50000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--database", default="ledgerline_bench_sfsync")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    fresh_database(args.database)
    from integrations.salesforce.simulator import Clock
    from integrations.salesforce.simulator.testing import running_simulator

    results: dict = {}
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with running_simulator(clock=clock) as sim:
        with timed(results, "seed_seconds"):
            summary = sim.seed(
                accounts=max(args.opportunities // 25, 3),
                opportunities=args.opportunities,
                lines_per_opportunity=args.lines,
                seed=args.seed,
            )
        won = sum(1 for o in sim.store.all("Opportunity") if o["StageName"] == "Closed Won")
        print(
            f"simulator: {len(summary.accounts)} accounts, {len(summary.contacts)} contacts, "
            f"{len(summary.opportunities)} opportunities ({won} Closed Won), "
            f"{summary.line_items} line items; seeded in {results['seed_seconds']:.1f} s"
        )
        configure(sim)
        before = table_counts()
        measured_sync(sim, "full", results)
        report("full", results)
        baselines(before, results, "full")
        start = time.perf_counter()
        changed = change_one_percent(sim, 1, args.seed)
        print(
            f"\nchanged {changed} opportunities in Salesforce ({time.perf_counter() - start:.1f} s)"
        )
        before = table_counts()
        measured_sync(sim, "incremental", results)
        report("incremental", results)
        baselines(before, results, "incremental")
        measured_sync(sim, "idle", results)
        report("idle", results)


if __name__ == "__main__":
    main()
