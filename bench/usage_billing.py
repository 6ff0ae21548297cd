#!/usr/bin/env python
"""Usage billing benchmark (issue 15): a month of usage events for many contracts.

Builds C active usage contracts on PostgreSQL, each with a graduated rate card
(1,000,000 calls at 0.002, then 0.0015), loads N raw events for January 2026 with COPY
into the monthly partition, and builds the daily rollups from them (what ingestion keeps
up to date as it goes). Then, in the same run:

- the product's billing run on 1 February (`execute_billing_run`: reads the daily rollups,
  prices per tier, one invoice per contract with a line per tier, ledger and rollup marks);
- the baseline: a hand-written SQL aggregate of the same charges over the month's raw
  events (sum per contract, each tier rounded like the invoice line);

and prints both times, their ratio (goal: within 5x) and whether the totals agree, per
contract and in all. The same aggregate over the rollups is printed for information.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/usage_billing.py --events 10000000 --contracts 1000
"""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal

from common import active_monthly_contracts, fresh_database, timed

METRIC = "api-calls"
MONTH = date(2026, 1, 1)
TIERS = [
    {"up_to": "1000000", "unit_price": "0.002"},
    {"up_to": None, "unit_price": "0.0015"},
]
CHARGES_SQL = """
SELECT contract_id,
       round(least(q, 1000000) * 0.002, 2) + round(greatest(q - 1000000, 0) * 0.0015, 2)
  FROM (SELECT contract_id, sum(quantity) AS q FROM {source}
         WHERE {month_filter} AND metric = %s GROUP BY contract_id) AS per_contract
"""


def build_book(n_contracts: int) -> list[int]:
    from billing.models import BillingScheduleLine, LegalEntity, TaxRate
    from billing.schedules.builder import build_schedule
    from billing.usage.models import UsagePrice
    from ordermgmt.models import Account, Contact, ContractLine, Product

    LegalEntity.objects.create(
        name="Bench Seller", address="1 Bench Road", remit_to="Bench Bank", is_default=True
    )
    TaxRate.objects.create(country="US", name="none", percent=0, effective_from=date(2000, 1, 1))
    product = Product.objects.create(sku="API", name="API calls", revenue_type="usage")
    accounts = Account.objects.bulk_create(
        Account(legal_name=f"Bench {i}", billing_country="US")
        for i in range(max(n_contracts // 10, 1))
    )
    Contact.objects.bulk_create(
        Contact(account=a, name="AP", email=f"ap{a.pk}@bench.example", is_billing_contact=True)
        for a in accounts
    )
    contracts, lines = active_monthly_contracts(accounts, product, n_contracts, 1)
    ContractLine.objects.filter(pk__in=[line.pk for line in lines]).update(
        quantity=0, unit_price=0, discount_percent=0
    )
    template = None
    rows = []
    for contract, line in zip(contracts, lines, strict=True):
        line.quantity, line.unit_price, line.discount_percent = 0, Decimal(0), Decimal(0)
        contract.lines_cache = [line]
        template = template or build_schedule(contract)
        for draft in template:
            rows.append(
                BillingScheduleLine(
                    contract=contract,
                    contract_line=line,
                    kind=draft.kind,
                    sequence=draft.sequence,
                    period_start=draft.period_start,
                    period_end=draft.period_end,
                    billing_date=draft.billing_date,
                    currency="USD",
                    quantity=draft.quantity,
                    unit_price=draft.unit_price,
                    amount=draft.amount,
                    day_count_convention="actual_actual",
                    explanation=draft.explanation,
                )
            )
    BillingScheduleLine.objects.bulk_create(rows, batch_size=5000)
    UsagePrice.objects.bulk_create(
        UsagePrice(
            contract=contract,
            contract_line=line,
            metric=METRIC,
            pricing_model="graduated",
            starts_on=MONTH,
            currency="USD",
            tiers=TIERS,
            unit_price=Decimal(0),
        )
        for contract, line in zip(contracts, lines, strict=True)
    )
    return [contract.pk for contract in contracts]


def event_blocks(n_events: int, contract_ids: list[int], batch_id: int, block: int = 100_000):
    """COPY text for N events spread over the contracts and January's 31 days."""
    n_contracts = len(contract_ids)
    for start in range(0, n_events, block):
        rows = []
        for i in range(start, min(n_events, start + block)):
            day = (i // n_contracts) % 31 + 1
            rows.append(
                f"ev{i}\t2026-01-{day:02d} {i % 24:02d}:00:00+00\t2026-01-{day:02d}\t"
                f"{contract_ids[i % n_contracts]}\t{METRIC}\t{(i * 7919) % 5000 + 1}\t"
                f"{batch_id}\t2026-01-01\n"
            )
        yield "".join(rows)


def load_events(n_events: int, contract_ids: list[int]) -> None:
    from django.db import connection, transaction

    from billing.usage.models import UsageBatch
    from billing.usage.partitions import ensure_partitions

    batch = UsageBatch.objects.create(source="bench", received=n_events, accepted=n_events)
    ensure_partitions([MONTH])
    sql = (
        "COPY usage_event (event_id, occurred_at, usage_date, contract_id, metric, quantity,"
        " batch_id, usage_month) FROM STDIN"
    )
    with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for block in event_blocks(n_events, contract_ids, batch.pk):
            copy.write(block)


def build_rollups() -> None:
    from django.db import connection

    from billing.usage.models import DailyUsage

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {DailyUsage._meta.db_table} (contract_id, metric, usage_date, quantity,"
            " events, billed_quantity) SELECT contract_id, metric, usage_date, sum(quantity),"
            " count(*), 0 FROM usage_event GROUP BY contract_id, metric, usage_date"
        )
        cursor.execute("ANALYZE")


def billing_run(results: dict) -> dict[int, Decimal]:
    from billing.models import BillingRun, Invoice
    from billing.services import execute_billing_run

    run = BillingRun.objects.create(run_date=date(2026, 2, 1))
    with timed(results, "run_seconds"):
        run = execute_billing_run(run=run)
    results["invoices"] = run.invoices_created
    results["lines"] = run.lines_billed
    return dict(
        Invoice.objects.filter(billing_run=run).values_list("contract_id", "subtotal_amount")
    )


def sql_charges(results: dict, key: str, source: str, month_filter: str) -> dict[int, Decimal]:
    from django.db import connection

    with timed(results, key), connection.cursor() as cursor:
        cursor.execute(CHARGES_SQL.format(source=source, month_filter=month_filter), [METRIC])
        return dict(cursor.fetchall())


def existing_database(name: str) -> None:
    """Points Django at `name`, next to DATABASE_URL's database, as it is."""
    import os
    from urllib.parse import urlparse, urlunparse

    parsed = urlparse(os.environ["DATABASE_URL"])
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--database", default="ledgerline_bench_usage_billing")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the book and events an earlier run loaded (not billed yet)",
    )
    args = parser.parse_args()

    results: dict = {"book_seconds": 0.0, "copy_seconds": 0.0, "rollup_seconds": 0.0}
    if args.reuse:
        existing_database(args.database)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM usage_event")
            args.events = cursor.fetchone()[0]
        print("reusing the book and events loaded by an earlier run (load times not measured)")
    else:
        fresh_database(args.database)
        with timed(results, "book_seconds"):
            contract_ids = build_book(args.contracts)
        with timed(results, "copy_seconds"):
            load_events(args.events, contract_ids)
        with timed(results, "rollup_seconds"):
            build_rollups()
    baseline = sql_charges(results, "sql_seconds", "usage_event", "usage_month = '2026-01-01'")
    invoiced = billing_run(results)
    from billing.usage.models import DailyUsage

    from_rollups = sql_charges(
        results,
        "sql_rollup_seconds",
        DailyUsage._meta.db_table,
        "usage_date BETWEEN '2026-01-01' AND '2026-01-31'",
    )
    n = args.events
    if not args.reuse:
        print(
            f"contracts: {args.contracts}, events: {n:,} in January 2026 "
            f"(book {results['book_seconds']:.1f} s, COPY {results['copy_seconds']:.1f} s = "
            f"{n / results['copy_seconds']:,.0f} events/s, daily rollups "
            f"{results['rollup_seconds']:.1f} s: {DailyUsage.objects.count():,} rows)"
        )
    print(
        f"billing run (execute_billing_run, reads daily rollups): {results['invoices']} "
        f"invoices, {results['lines']} lines in {results['run_seconds']:.2f} s"
    )
    print(
        f"baseline (hand-written SQL aggregate of the charges over the raw events): "
        f"{results['sql_seconds']:.2f} s"
    )
    ratio = results["run_seconds"] / results["sql_seconds"]
    print(
        f"ratio run / SQL: {ratio:.2f}x (goal: within 5x) -> {'MET' if ratio <= 5 else 'NOT MET'}"
    )
    print(
        f"(for information: the same SQL aggregate over the daily rollups "
        f"{results['sql_rollup_seconds']:.3f} s)"
    )
    agree = invoiced == baseline == from_rollups
    total = sum(invoiced.values(), Decimal(0))
    print(
        f"totals: invoiced {total:,.2f} USD, SQL {sum(baseline.values(), Decimal(0)):,.2f} USD; "
        f"per contract {'AGREE' if agree else 'DIFFER'}"
    )


if __name__ == "__main__":
    main()
