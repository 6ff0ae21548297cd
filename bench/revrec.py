#!/usr/bin/env python
"""Revenue recognition benchmark (issue: revenue recognition).

Builds N active contracts of M months on PostgreSQL (each a subscription line billed
monthly, with its billing schedule), then builds their revenue: obligations, allocation
by relative SSP, and monthly revenue schedules by cumulative rounding, through the same
bulk path that activation uses (`billing.revenue.services.recognise_contracts`), in chunks.

Baselines, measured in the same run:
- the same revenue schedule rows (already computed) written with bulk INSERTs, psycopg
  `executemany`, into a TEMP copy of the table (`CREATE TEMP TABLE ... (LIKE
  revenue_revenuescheduleline INCLUDING ALL)`): the original, lenient baseline;
- (a) every row the build wrote (obligations, allocations and their lines, schedules,
  schedule lines, and any other table that grew), written with multi-row INSERTs (1,000
  rows a statement) into ordinary tables, WAL-logged, with the same constraints, indexes,
  foreign keys and triggers as ours (`LIKE ... INCLUDING ALL` plus the foreign keys and
  triggers read from the catalog);
- (b) the same rows with COPY into another such set of tables.
Prints the figures and the ratios to each (goal: within 5x of (a), 10x of COPY).

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/revrec.py --contracts 10000 --months 36
"""

from __future__ import annotations

import argparse
import os

from common import BackendClock, active_monthly_contracts, fresh_database, timed

CHUNK = 500
INSERT_BATCH = 1000  # rows per statement of baseline (a)


def build_book(n_contracts: int, months: int) -> list[int]:
    from billing.models import BillingScheduleLine
    from billing.schedules.builder import build_schedule
    from ordermgmt.models import Account, Product, ProductPrice

    product = Product.objects.create(sku="SEAT", name="Seat", revenue_type="subscription")
    ProductPrice.objects.create(product=product, currency="USD", standalone_selling_price=1200)
    n_accounts = max(n_contracts // 10, 1)
    accounts = Account.objects.bulk_create(
        Account(legal_name=f"Bench {i}", billing_country="US") for i in range(n_accounts)
    )
    contracts, lines = active_monthly_contracts(accounts, product, n_contracts, months)
    templates: dict = {}
    rows = []
    for contract, line in zip(contracts, lines, strict=True):
        key = (line.quantity, line.discount_percent)
        if key not in templates:
            templates[key] = build_schedule(contract)
        for draft in templates[key]:
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
                    explanation={},
                )
            )
        if len(rows) >= 20000:
            BillingScheduleLine.objects.bulk_create(rows)
            rows = []
    BillingScheduleLine.objects.bulk_create(rows)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return [c.pk for c in contracts]


def build_revenue(contract_ids: list[int], results: dict) -> None:
    from django.db import connection, transaction

    from billing.revenue.services import recognise_contracts
    from ordermgmt.models import Contract

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    clock = BackendClock()
    with (
        connection.execute_wrapper(count),
        timed(results, "run_seconds"),
        clock.measure(results, "run"),
    ):
        for index in range(0, len(contract_ids), CHUNK):
            chunk = contract_ids[index : index + CHUNK]
            with transaction.atomic():
                recognise_contracts(list(Contract.objects.filter(pk__in=chunk).order_by("pk")))
    results["run_queries"] = len(queries)


def table_marks() -> dict:
    """{model: highest id} of every model with an integer id, before the build."""
    from django.apps import apps
    from django.db.models import Max

    marks = {}
    for model in apps.get_models():
        if (
            model._meta.managed
            and not model._meta.proxy
            and model._meta.pk.get_internal_type()
            in (
                "AutoField",
                "BigAutoField",
            )
        ):
            marks[model] = model.objects.aggregate(m=Max("pk"))["m"] or 0
    return marks


def rows_written(marks: dict) -> dict:
    """{model: rows it has above its mark}: what the build wrote."""
    written = {}
    for model, mark in marks.items():
        rows = model.objects.filter(pk__gt=mark)
        if rows.exists():
            fields = model._meta.concrete_fields
            written[model] = (
                [f.column for f in fields],
                list(rows.order_by("pk").values_list(*[f.attname for f in fields])),
            )
    return written


# The maintained revenue totals' triggers (billing.revenue.totals_sql) read and write our
# own tables whatever table fires them: on a baseline table they would recount the real
# book. The baseline writes the rows they wrote instead, like every other row.
TOTALS_TRIGGERS = "revenue_totals_"


def like_table(cursor, source: str, target: str) -> None:
    """An ordinary table like `source`: columns, defaults, checks, indexes, and also its
    foreign keys and triggers, which LIKE does not copy (but the totals' triggers)."""
    cursor.execute(f"CREATE TABLE {target} (LIKE {source} INCLUDING ALL)")
    cursor.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [source],
    )
    for (definition,) in cursor.fetchall():
        cursor.execute(f"ALTER TABLE {target} ADD {definition}")
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        [source],
    )
    for name, definition in cursor.fetchall():
        if name.startswith(TOTALS_TRIGGERS):
            continue
        definition = definition.replace(f" ON {source} ", f" ON {target} ", 1)
        definition = definition.replace(f" ON public.{source} ", f" ON {target} ", 1)
        cursor.execute(definition.replace(f"TRIGGER {name} ", f"TRIGGER {name}_{target} ", 1))


def honest_baselines(written: dict, results: dict) -> None:
    """(a) multi-row INSERTs and (b) COPY of every row the build wrote, into ordinary
    tables with our constraints, indexes, foreign keys and triggers."""
    import psycopg
    from django.db import connection
    from psycopg.types.json import Jsonb

    def adapt(row):
        return tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in row)

    tables = {
        model._meta.db_table: (cols, [adapt(r) for r in rows])
        for model, (cols, rows) in written.items()
    }
    results["baseline_rows"] = {t: len(rows) for t, (_, rows) in tables.items()}
    with connection.cursor() as cursor:
        for table in tables:
            for suffix in ("ins", "pct", "copy"):
                cursor.execute(f"DROP TABLE IF EXISTS bench_{suffix}_{table}")
                like_table(cursor, table, f"bench_{suffix}_{table}")
    raw = connection.connection
    clock = BackendClock()

    def multi_row(cursor, suffix: str, numbered: bool) -> None:
        for table, (cols, rows) in tables.items():
            for i in range(0, len(rows), INSERT_BATCH):
                part = rows[i : i + INSERT_BATCH]
                if numbered:
                    n = len(cols)
                    values = ", ".join(
                        "(" + ", ".join(f"${r * n + c + 1}" for c in range(n)) + ")"
                        for r in range(len(part))
                    )
                else:
                    values = ", ".join([f"({', '.join(['%s'] * len(cols))})"] * len(part))
                cursor.execute(
                    f"INSERT INTO bench_{suffix}_{table} ({', '.join(cols)}) VALUES {values}",
                    [v for row in part for v in row],
                )

    # (a) with $n placeholders through psycopg's RawCursor: the statement goes to the
    # server as written. With %s placeholders psycopg rewrites each statement in Python
    # first, and a 10,000-parameter statement is too long for its cache of rewritten
    # queries: ~0.3 s of client CPU per 1,000 rows, timed apart as (a%).
    with clock.measure(results, "insert"), raw.transaction(), psycopg.RawCursor(raw) as cursor:
        multi_row(cursor, "ins", numbered=True)
    with clock.measure(results, "insert_pct"), raw.transaction(), raw.cursor() as cursor:
        multi_row(cursor, "pct", numbered=False)
    with clock.measure(results, "honest_copy"), raw.transaction():
        for table, (cols, rows) in tables.items():
            with raw.cursor().copy(
                f"COPY bench_copy_{table} ({', '.join(cols)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
    with connection.cursor() as cursor:
        for table in tables:
            for suffix in ("ins", "pct", "copy"):
                cursor.execute(f"DROP TABLE bench_{suffix}_{table}")


def baseline(results: dict) -> None:
    """The same schedule rows, written with executemany INSERTs into a TEMP copy."""
    from django.db import connection

    from billing.revenue.models import RevenueScheduleLine

    fields = [f for f in RevenueScheduleLine._meta.concrete_fields if f.attname != "id"]
    columns = [f.column for f in fields]
    rows = list(RevenueScheduleLine.objects.values_list(*[f.attname for f in fields]))
    results["schedule_lines"] = len(rows)
    with connection.cursor() as cursor:
        for table in ("bench_schedule_line", "bench_schedule_line_copy"):
            cursor.execute(
                f"CREATE TEMP TABLE {table} (LIKE revenue_revenuescheduleline INCLUDING ALL)"
            )
    raw = connection.connection
    insert = (
        f"INSERT INTO bench_schedule_line ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with timed(results, "baseline_seconds"), raw.transaction(), raw.cursor() as cursor:
        cursor.executemany(insert, rows)
    with (
        timed(results, "copy_seconds"),
        raw.transaction(),
        raw.cursor().copy(
            f"COPY bench_schedule_line_copy ({', '.join(columns)}) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def check(contract_ids: list[int], results: dict) -> None:
    """Every contract's schedule adds back to its allocation; allocation to its price."""
    from django.db.models import Sum

    from billing.revenue.models import PerformanceObligation, RevenueScheduleLine

    allocated = PerformanceObligation.objects.aggregate(total=Sum("allocated_amount"))["total"]
    scheduled = RevenueScheduleLine.objects.aggregate(total=Sum("amount"))["total"]
    from billing.models import BillingScheduleLine

    billed = BillingScheduleLine.objects.aggregate(total=Sum("amount"))["total"]
    results["adds_back"] = allocated == scheduled == billed
    results["obligations"] = PerformanceObligation.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--database", default="ledgerline_bench_revrec")
    args = parser.parse_args()

    print(f"load average at start {os.getloadavg()}", flush=True)
    fresh_database(args.database)
    results: dict = {}
    with timed(results, "setup_seconds"):
        contract_ids = build_book(args.contracts, args.months)
    marks = table_marks()
    build_revenue(contract_ids, results)
    baseline(results)
    honest_baselines(rows_written(marks), results)
    check(contract_ids, results)

    lines = results["schedule_lines"]
    run = results["run_seconds"]
    print(
        f"contracts: {args.contracts} x {args.months} months, one subscription line each "
        f"(setup {results['setup_seconds']:.1f} s)"
    )
    print(
        f"revenue build: {results['obligations']} obligations, allocations and {lines} "
        f"schedule lines in {run:.2f} s = {args.contracts / run:.0f} contracts/s, "
        f"{lines / run:.0f} lines/s"
    )
    chunks = -(-args.contracts // CHUNK)
    print(
        f"statements: {results['run_queries']} ({results['run_queries'] / args.contracts:.3f} "
        f"per contract; one COPY per table and chunk of {CHUNK}, {chunks} chunks)"
    )
    print(
        f"baseline (executemany INSERT of the same {lines} schedule rows): "
        f"{results['baseline_seconds']:.2f} s = {lines / results['baseline_seconds']:.0f} lines/s"
    )
    ratio = run / results["baseline_seconds"]
    print(f"ratio build / bulk INSERT baseline: {ratio:.2f}x")
    print(
        f"reference: COPY of the same rows {results['copy_seconds']:.2f} s, ratio "
        f"{run / results['copy_seconds']:.1f}x"
    )
    written = results["baseline_rows"]
    print(
        f"rows the build wrote: {sum(written.values())} "
        f"({', '.join(f'{t} {n}' for t, n in sorted(written.items()))})"
    )
    product = results["run"]

    def figures(key: str) -> str:
        f = results[key]
        cpu = f"{f['client']:.2f} s client"
        if f["backend"] is not None:
            cpu += f" + {f['backend']:.2f} s database"
        return f"{f['wall']:.2f} s wall ({cpu} CPU)"

    def ratios(key: str) -> str:
        f = results[key]
        text = f"{product['wall'] / f['wall']:.2f}x wall"
        if f["backend"] is not None and product["backend"] is not None:
            cpu = product["client"] + product["backend"]
            text += f", {cpu / (f['client'] + f['backend']):.2f}x CPU"
        return text

    print(f"revenue build: {figures('run')}")
    print(
        f"(a) multi-row INSERT ({INSERT_BATCH} rows a statement, $n placeholders) of those "
        f"rows into ordinary tables with our constraints, indexes, foreign keys and "
        f"triggers: {figures('insert')}; build / (a): {ratios('insert')} (goal under 5x)"
    )
    print(
        f"(a%) the same with %s placeholders (psycopg rewrites each statement in Python): "
        f"{figures('insert_pct')}; build / (a%): {ratios('insert_pct')}"
    )
    print(
        f"(b) COPY of those rows into the same kind of tables: {figures('honest_copy')}; "
        f"build / COPY: {ratios('honest_copy')} (goal under 10x)"
    )
    print(f"load average {os.getloadavg()}")
    print(f"schedules add back to allocations and to billing: {results['adds_back']}")


if __name__ == "__main__":
    main()
