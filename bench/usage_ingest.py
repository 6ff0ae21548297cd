#!/usr/bin/env python
"""Usage ingestion benchmark (issue 15).

Builds C active contracts with a usage line priced for one metric on PostgreSQL, writes
N usage events for January 2026 as a CSV file in memory, and ingests them through the
product's path (`ingest_usage_csv`, which the `ingest_usage` command calls: the file
COPYed as sent into a temporary table, every event judged by one statement, the good ones
INSERTed into the monthly partition, daily rollups by INSERT ... ON CONFLICT DO UPDATE).
Then, in the same run, a plain COPY of the same rows (as stored) into a table of the same
shape (partitioned, same primary key) is the baseline: as COPY text made beforehand (the
strict one) and as Python rows through write_row. It prints events per second, CPU
seconds per 100k events of this process and of its PostgreSQL backend (when the server
runs here: wall time lies on a shared machine), the ratios to both COPYs, the load
average, and a replay of the same file (all duplicates).

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/usage_ingest.py --events 1000000
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time

from common import BackendClock, active_monthly_contracts, fresh_database, timed

METRIC = "api-calls"


def build_book(n_contracts: int) -> list[str]:
    from datetime import date
    from decimal import Decimal

    from billing.usage.models import UsagePrice
    from ordermgmt.models import Account, Product

    product = Product.objects.create(sku="API", name="API calls", revenue_type="usage")
    accounts = Account.objects.bulk_create(
        Account(legal_name=f"Bench {i}", billing_country="US")
        for i in range(max(n_contracts // 10, 1))
    )
    contracts, lines = active_monthly_contracts(accounts, product, n_contracts, 12)
    UsagePrice.objects.bulk_create(
        UsagePrice(
            contract=contract,
            contract_line=line,
            metric=METRIC,
            pricing_model="graduated",
            starts_on=date(2026, 1, 1),
            currency="USD",
            tiers=[
                {"up_to": "1000000", "unit_price": "0.002"},
                {"up_to": None, "unit_price": "0.0015"},
            ],
            unit_price=Decimal(0),
        )
        for contract, line in zip(contracts, lines, strict=True)
    )
    return [contract.reference for contract in contracts]


def event_file(references: list[str], n_events: int) -> str:
    rng = random.Random(15)
    out = io.StringIO()
    out.write("event_id,customer,contract,metric,quantity,timestamp\n")
    for index in range(n_events):
        out.write(
            f"evt-{index:09d},,{rng.choice(references)},{METRIC},{rng.randint(1, 5000)},"
            f"2026-01-{rng.randint(1, 31):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z\n"
        )
    return out.getvalue()


def ingest(data: bytes):
    from billing.usage.services.ingestion import ingest_usage_csv

    return ingest_usage_csv(data=data, source="bench")


def json_lines(data: bytes) -> bytes:
    """The same events as JSON lines, with ids of their own (evj-...): new events."""
    rows = data.decode().splitlines()[1:]
    out = io.StringIO()
    for row in rows:
        event_id, customer, contract, metric, quantity, timestamp = row.split(",")
        out.write(
            f'{{"event_id": "evj-{event_id[4:]}", "contract": "{contract}", "metric": '
            f'"{metric}", "quantity": {quantity}, "timestamp": "{timestamp}"}}\n'
        )
    return out.getvalue().encode()


def ingest_json_lines(data: bytes):
    """As the `ingest_usage` command reads a .jsonl file (parsed in Python, COPYed)."""
    from billing.usage.parsers import jsonl_events
    from billing.usage.services.ingestion import ingest_usage_events

    lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="")
    return ingest_usage_events(events=jsonl_events(lines), source="bench:jsonl")


class Clock(BackendClock):
    """common.BackendClock, measuring a callable and returning its value."""

    def measure(self, results: dict, key: str, work):
        with super().measure(results, key):
            return work()


class StepTimes:
    """Wall seconds per statement of a run (Django's execute wrapper: cheap); the COPYs
    and Python are what is left of the run's time."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            step = " ".join(sql.split())[:60]
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - start

    def measure(self, clock: Clock, results: dict, key: str, work):
        from django.db import connection

        with connection.execute_wrapper(self):
            value = clock.measure(results, key, work)
        results[key]["steps"] = dict(self.seconds)
        self.seconds.clear()
        return value


def steps(figures: dict) -> str:
    slow = sorted(figures["steps"].items(), key=lambda item: -item[1])
    shown = [f"{seconds:.2f} s {step}" for step, seconds in slow if seconds >= 0.05]
    rest = figures["wall"] - sum(figures["steps"].values())
    return "\n    ".join([*shown, f"{rest:.2f} s COPY into the temporary table and Python"])


def make_twin() -> None:
    """A partitioned twin of usage_event (same columns, primary key and collation)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS usage_event_twin")
        cursor.execute(
            "CREATE TABLE usage_event_twin (LIKE usage_event INCLUDING ALL) "
            "PARTITION BY RANGE (usage_month)"
        )
        cursor.execute(
            "CREATE TABLE usage_event_twin_y2026m01 PARTITION OF usage_event_twin "
            "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')"
        )


COLUMNS = "event_id, occurred_at, usage_date, contract_id, metric, quantity, batch_id, usage_month"


def copy_baselines(clock: Clock, results: dict) -> None:
    """The same rows, as stored, COPYed into a partitioned twin of usage_event, twice:
    as COPY text made beforehand (what the database's COPY costs: the strict baseline,
    as the ingest also gets its file made beforehand), and as Python rows through
    psycopg's write_row (what a Python client of COPY pays on top)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM usage_event ORDER BY event_id")
        rows = cursor.fetchall()
        buffer = io.BytesIO()
        with cursor.cursor.copy(
            f"COPY (SELECT {COLUMNS} FROM usage_event ORDER BY event_id) TO STDOUT"
        ) as copy:
            for block in copy:
                buffer.write(block)
    text = buffer.getvalue()
    sql = f"COPY usage_event_twin ({COLUMNS}) FROM STDIN"

    def copy_text():
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            view = memoryview(text)
            for start in range(0, len(text), 1 << 20):
                copy.write(view[start : start + (1 << 20)])

    def copy_rows():
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)

    make_twin()
    clock.measure(results, "copy_text", copy_text)
    make_twin()
    clock.measure(results, "copy_rows", copy_rows)
    results["copied"] = len(rows)


def describe(label: str, n: int, figures: dict) -> str:
    line = f"{label}: {figures['wall']:.2f} s = {n / figures['wall']:,.0f} events/s; CPU "
    line += f"{figures['client'] * 100_000 / n:.2f} s client"
    if figures["backend"] is not None:
        line += f" + {figures['backend'] * 100_000 / n:.2f} s database"
    return line + " per 100k events"


def cpu(figures: dict) -> float:
    return figures["client"] + (figures["backend"] or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--database", default="ledgerline_bench_usage")
    args = parser.parse_args()

    fresh_database(args.database)
    results: dict = {}
    with timed(results, "setup_seconds"):
        references = build_book(args.contracts)
        data = event_file(references, args.events).encode()
    clock = Clock()
    load_before = os.getloadavg()
    step_times = StepTimes()
    batch = step_times.measure(clock, results, "ingest", lambda: ingest(data))
    replay = clock.measure(results, "replay", lambda: ingest(data))
    copy_baselines(clock, results)
    jsonl = json_lines(data)
    by_lines = step_times.measure(clock, results, "jsonl", lambda: ingest_json_lines(jsonl))
    load_after = os.getloadavg()

    from billing.usage.models import DailyUsage

    n = args.events
    ingest_figures, text, rows = results["ingest"], results["copy_text"], results["copy_rows"]
    rate = n / ingest_figures["wall"]
    print(
        f"contracts: {args.contracts}, events: {n} in January 2026 "
        f"(setup {results['setup_seconds']:.1f} s)"
    )
    print(
        f"ingest_usage_csv (COPY as sent, judged in SQL, INSERT, rollups): {batch.accepted} "
        f"accepted, {batch.rejected} rejected; daily rollups: {DailyUsage.objects.count()}"
    )
    print("  " + describe("ingest", n, ingest_figures))
    print(f"  goal >= 100,000 events/s (wall): {'MET' if rate >= 100_000 else 'NOT MET'}")
    print("  " + describe(f"replay ({replay.duplicates} duplicates)", n, results["replay"]))
    print(
        "  "
        + describe(
            f"JSON lines, parsed in Python ({by_lines.accepted} accepted)", n, results["jsonl"]
        )
    )
    for key in ("ingest", "jsonl"):
        print(f"  steps of {key} (wall):\n    " + steps(results[key]))
    print(f"baseline, plain COPY of the same {results['copied']} rows into a partitioned twin:")
    print("  " + describe("COPY text made beforehand", n, text))
    print("  " + describe("COPY of Python rows (write_row)", n, rows))
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    for label, base in (("COPY text", text), ("COPY rows", rows)):
        wall = ingest_figures["wall"] / base["wall"]
        line = f"ratio ingest / {label}: {wall:.2f}x wall"
        if base["backend"] is not None:
            line += f", {cpu(ingest_figures) / cpu(base):.2f}x CPU"
        print(line + f" (goal: within 3x) -> {'MET' if wall <= 3 else 'NOT MET'} by wall")


if __name__ == "__main__":
    main()
