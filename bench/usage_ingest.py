#!/usr/bin/env python
"""Usage ingestion benchmark (issue 15).

Builds C active contracts with a usage line priced for one metric on PostgreSQL, writes
N usage events for January 2026 as a CSV file in memory, and ingests them through the
product's path (`ingest_usage_csv`, which the `ingest_usage` command calls: the file
COPYed as sent into a temporary table, every check in SQL, INSERT ... ON CONFLICT into
the monthly partition, daily rollups by INSERT ... ON CONFLICT DO UPDATE). Then, in the
same run, a plain COPY of the same rows (as stored) into a table of the same shape
(partitioned, same primary key) is the baseline. It prints events per second, the ratio
to the COPY, the load average and a replay of the same file (all duplicates).

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/usage_ingest.py --events 1000000
"""

from __future__ import annotations

import argparse
import io
import os
import random

from common import active_monthly_contracts, fresh_database, timed

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


def copy_baseline(results: dict) -> None:
    """The same rows, as stored, COPYed into a partitioned twin of usage_event."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT event_id, occurred_at, usage_date, contract_id, metric, quantity, batch_id,"
            " usage_month FROM usage_event ORDER BY event_id"
        )
        rows = cursor.fetchall()
        cursor.execute(
            "CREATE TABLE usage_event_twin (LIKE usage_event INCLUDING ALL) "
            "PARTITION BY RANGE (usage_month)"
        )
        cursor.execute(
            "CREATE TABLE usage_event_twin_y2026m01 PARTITION OF usage_event_twin "
            "FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')"
        )
    sql = (
        "COPY usage_event_twin (event_id, occurred_at, usage_date, contract_id, metric,"
        " quantity, batch_id, usage_month) FROM STDIN"
    )
    with (
        timed(results, "copy_seconds"),
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    results["copied"] = len(rows)


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
    with timed(results, "ingest_seconds"):
        batch = ingest(data)
    with timed(results, "replay_seconds"):
        replay = ingest(data)
    copy_baseline(results)

    from billing.usage.models import DailyUsage

    n = args.events
    print(
        f"contracts: {args.contracts}, events: {n} in January 2026 "
        f"(setup {results['setup_seconds']:.1f} s)"
    )
    print(
        f"ingest (ingest_usage_csv: COPY as sent, checks in SQL): {batch.accepted} accepted, "
        f"{batch.rejected} rejected in {results['ingest_seconds']:.2f} s = "
        f"{n / results['ingest_seconds']:,.0f} events/s (goal: >= 100,000) -> "
        f"{'MET' if n / results['ingest_seconds'] >= 100_000 else 'NOT MET'}"
    )
    print(f"daily rollups written: {DailyUsage.objects.count()}")
    print(
        f"replay of the same file: {replay.duplicates} duplicates, {replay.accepted} accepted "
        f"in {results['replay_seconds']:.2f} s = {n / results['replay_seconds']:,.0f} events/s"
    )
    print(
        f"baseline (plain COPY of the same {results['copied']} rows): "
        f"{results['copy_seconds']:.2f} s = {n / results['copy_seconds']:,.0f} events/s"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    ratio = results["ingest_seconds"] / results["copy_seconds"]
    print(
        f"ratio ingest / COPY: {ratio:.2f}x (goal: within 3x) -> "
        f"{'MET' if ratio <= 3 else 'NOT MET'}"
    )


if __name__ == "__main__":
    main()
