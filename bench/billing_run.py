#!/usr/bin/env python
"""Billing run benchmark (issue: billing; honest baselines: issue 20).

Builds N active contracts with 36 monthly schedule lines each on PostgreSQL, runs billing
for one date, and prints invoices per second, queries per invoice and the ratio to two
baselines measured in the same run (bench/billing_baselines.py): the same invoice, line,
history and schedule-link rows written by multi-row INSERT, and by COPY, into ordinary
tables with our constraints, indexes, foreign keys and triggers, chunk by chunk as the run
commits. The run and both baselines repeat (a warm-up first, then the median of the
repeats; the run is undone between repeats), each repeat printed with the load average.
It also prints the time per chunk early and late in the run, which stays flat when nothing
in a chunk's work grows with the tables. Then issues the invoices from 4 concurrent
processes and prints invoices per second and whether the numbers are gapless
(`--no-issue` skips that).

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/billing_run.py --contracts 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date
from statistics import median
from urllib.parse import urlparse, urlunparse

from billing_baselines import copy_rows, create_tables, multi_row_insert, run_rows
from common import ROOT, active_monthly_contracts, timed

LINES_DUE = 3  # the run date falls on the third monthly billing date


def build_book(n_contracts: int, months: int) -> date:
    from billing.models import BillingScheduleLine, LegalEntity, TaxRate
    from billing.schedules.builder import build_schedule
    from core.terms import add_months
    from ordermgmt.models import Account, Contact, Product

    LegalEntity.objects.create(
        name="Bench Seller", address="1 Bench Road", remit_to="Bench Bank", is_default=True
    )
    TaxRate.objects.create(country="US", name="none", percent=0, effective_from=date(2000, 1, 1))
    TaxRate.objects.create(country="DE", name="VAT", percent=19, effective_from=date(2000, 1, 1))
    product = Product.objects.create(sku="SEAT", name="Seat", revenue_type="subscription")
    n_accounts = max(n_contracts // 10, 1)
    accounts = Account.objects.bulk_create(
        Account(legal_name=f"Bench {i}", billing_country="US" if i % 3 else "DE")
        for i in range(n_accounts)
    )
    Contact.objects.bulk_create(
        Contact(account=a, name="AP", email=f"ap{a.pk}@bench.example") for a in accounts
    )
    contracts, lines = active_monthly_contracts(accounts, product, n_contracts, months)
    schedule_rows = []
    for contract, line in zip(contracts, lines, strict=True):
        contract.lines_cache = [line]
        for draft in build_schedule_for(contract, line, build_schedule):
            schedule_rows.append(
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
        if len(schedule_rows) >= 20000:
            BillingScheduleLine.objects.bulk_create(schedule_rows)
            schedule_rows = []
    BillingScheduleLine.objects.bulk_create(schedule_rows)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum does for a real book after a bulk load
    return add_months(contracts[0].start_date, LINES_DUE - 1)


_template_cache: dict = {}


def build_schedule_for(contract, line, build_schedule):
    """Contracts differ only in quantity and discount: build each shape once."""
    key = (line.quantity, line.discount_percent)
    if key not in _template_cache:
        _template_cache[key] = build_schedule(contract)
    return _template_cache[key]


def billing_run(run_date: date, results: dict) -> int:
    from django.db import connection

    from billing.models import BillingRun
    from billing.services import execute_billing_run, runs

    # Created directly rather than queued, so no task runs it before the timer starts.
    run = BillingRun.objects.create(run_date=run_date)
    # Count statements with a cheap wrapper (capturing SQL text would cost more than the run).
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(1)
        return execute(sql, params, many, context)

    # Time each chunk: a run whose work grows with the tables shows late chunks slower.
    chunk_seconds: list[float] = []
    bill_chunk = runs.bill_chunk

    def timed_chunk(*args, **kwargs):
        start = time.perf_counter()
        try:
            return bill_chunk(*args, **kwargs)
        finally:
            chunk_seconds.append(time.perf_counter() - start)

    runs.bill_chunk = timed_chunk
    try:
        cpu = time.process_time()
        with connection.execute_wrapper(count), timed(results, "run_seconds"):
            run = execute_billing_run(run=run)
        # This process's CPU: less at the mercy of the machine's load than the wall clock.
        results["run_cpu_seconds"] = time.process_time() - cpu
    finally:
        runs.bill_chunk = bill_chunk
    results["run_queries"] = len(queries)
    results["chunk_seconds"] = chunk_seconds
    results["invoices"] = run.invoices_created
    results["lines"] = run.lines_billed
    return run.pk


def reset_run(run_id: int) -> None:
    """Undo a run of the bench (drafts only): its invoices, lines and history rows go, its
    schedule lines are pending again, and the tables are vacuumed, so the next repeat
    starts where this one did."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_billingscheduleline SET status = 'pending', invoice_line_id = NULL "
            "WHERE invoice_line_id IN (SELECT l.id FROM billing_invoiceline l JOIN "
            "billing_invoice i ON i.id = l.invoice_id WHERE i.billing_run_id = %s)",
            [run_id],
        )
        cursor.execute(
            "DELETE FROM billing_historicalinvoice WHERE history_change_reason = %s",
            [f"invoice.drafted_by_run:{run_id}"],
        )
        cursor.execute(
            "DELETE FROM billing_invoiceline WHERE invoice_id IN "
            "(SELECT id FROM billing_invoice WHERE billing_run_id = %s)",
            [run_id],
        )
        cursor.execute("DELETE FROM billing_invoice WHERE billing_run_id = %s", [run_id])
        cursor.execute(
            "VACUUM ANALYZE billing_billingscheduleline, billing_historicalinvoice, "
            "billing_invoiceline, billing_invoice"
        )


ISSUER = r"""
import os, sys, time
sys.path.insert(0, sys.argv[2])
import django
django.setup()
from billing.models import Invoice
from billing.services import invoicing
invoicing.ON_ISSUE.clear()  # measure numbering and the issue transaction, not e-mail/PDF
ids = [int(x) for x in open(sys.argv[1]).read().split(",") if x]
for pk in ids:
    invoicing.issue_invoice(invoice=Invoice.objects.get(pk=pk), actor=None)
"""


def concurrent_issue(results: dict, processes: int = 4) -> None:
    import tempfile

    from billing.models import Invoice

    ids = list(Invoice.objects.filter(status="draft").values_list("id", flat=True))
    files = []
    for index in range(processes):
        with tempfile.NamedTemporaryFile("w", delete=False, suffix=".ids") as handle:
            handle.write(",".join(str(i) for i in ids[index::processes]))
        files.append(handle.name)
    env = {**os.environ}
    start = time.perf_counter()
    workers = [
        subprocess.Popen([sys.executable, "-c", ISSUER, f, str(ROOT)], env=env, cwd=ROOT)
        for f in files
    ]
    codes = [w.wait() for w in workers]
    results["issue_seconds"] = time.perf_counter() - start
    results["issue_exit_codes"] = codes
    numbers = sorted(
        int(n.rsplit("-", 1)[1])
        for n in Invoice.objects.exclude(number=None).values_list("number", flat=True)
    )
    results["issued"] = len(numbers)
    results["gapless"] = numbers == list(range(1, len(ids) + 1))


def book_database(name: str) -> None:
    """A fresh database `name`, cloned from a migrated template kept between runs (migrating
    from nothing takes minutes on this loaded machine), which the invoice PDF bench shares.
    The template's name carries a digest of the migration files, so a new migration makes a
    new template."""
    import hashlib

    import psycopg

    migrations = sorted(ROOT.glob("*/migrations/0*.py"))
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in migrations)).hexdigest()[:10]
    base = os.environ.get(
        "DATABASE_URL", "postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline"
    )
    parsed = urlparse(base)
    prefix = f"{parsed.path.lstrip('/')}_bench_tpl_"  # one template per developer database
    template = prefix + digest
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{prefix}%"]
            )
        ]
        if template not in names:
            for stale in names:
                conn.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{template}"')
            env = {
                **os.environ,
                "DATABASE_URL": urlunparse(parsed._replace(path=f"/{template}")),
                "SECRET_KEY": "bench-only",
            }
            env.pop("REDIS_URL", None)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
            )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)  # no broker: nothing is enqueued for real
    import django

    django.setup()


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (median)")
    parser.add_argument("--warmups", type=int, default=1, help="untimed repeats first")
    parser.add_argument("--database", default="ledgerline_bench_billing")
    parser.add_argument("--no-issue", action="store_true", help="skip the concurrent issue")
    args = parser.parse_args()

    book_database(args.database)
    from django.db import connection

    from billing.services.runs import _chunk_size

    results: dict = {}
    with timed(results, "setup_seconds"):
        run_date = build_book(args.contracts, args.months)
    print(
        f"contracts: {args.contracts} x {args.months} monthly schedule lines "
        f"(setup {results['setup_seconds']:.1f} s); {load()}"
    )
    connection.ensure_connection()
    raw = connection.connection
    timings = []  # (run, multi-row INSERT, COPY) seconds per timed repeat
    cpu_seconds = []  # the run's Python CPU per timed repeat
    run_id = None
    for repeat in range(args.warmups + args.repeats):
        if run_id is not None:
            reset_run(run_id)
        results = {}
        run_id = billing_run(run_date, results)
        rows = run_rows(raw, run_id, _chunk_size())
        if repeat == 0:
            create_tables(raw, rows)
        insert_seconds = multi_row_insert(raw, rows)
        copy_seconds = copy_rows(raw, rows)
        warmup = repeat < args.warmups
        if not warmup:
            timings.append((results["run_seconds"], insert_seconds, copy_seconds))
            cpu_seconds.append(results["run_cpu_seconds"])
        label = "warm-up" if warmup else "repeat"
        print(
            f"{label} {repeat + 1}: run {results['run_seconds']:.2f} s "
            f"(CPU {results['run_cpu_seconds']:.2f} s), "
            f"multi-row INSERT {insert_seconds:.2f} s "
            f"({results['run_seconds'] / insert_seconds:.2f}x), COPY {copy_seconds:.2f} s "
            f"({results['run_seconds'] / copy_seconds:.2f}x); {load()}"
        )
    if not args.no_issue:
        concurrent_issue(results)

    invoices = results["invoices"]
    run_seconds, insert_seconds, copy_seconds = (median(t) for t in zip(*timings, strict=True))
    print(
        f"billing run for {run_date}: {invoices} invoices, {results['lines']} lines, "
        f"{rows.row_count} rows written; median of {len(timings)} {run_seconds:.2f} s = "
        f"{invoices / run_seconds:.0f} invoices/s; CPU of this process {median(cpu_seconds):.2f} s"
    )
    print(
        f"queries: {results['run_queries']} = {results['run_queries'] / invoices:.3f} per invoice"
    )
    chunks = results["chunk_seconds"]
    tenth = max(len(chunks) // 10, 1)
    first = 1000 * sum(chunks[:tenth]) / tenth
    last = 1000 * sum(chunks[-tenth:]) / tenth
    print(
        f"chunks: {len(chunks)}; first tenth {first:.0f} ms/chunk, last tenth {last:.0f} ms/chunk "
        f"(last / first {last / first:.2f})"
    )
    for name, seconds, goal in [
        ("multi-row INSERT into tables like ours (constraints, FKs, triggers)", insert_seconds, 5),
        ("COPY of the same rows into the same tables", copy_seconds, 10),
    ]:
        ratio = run_seconds / seconds
        print(
            f"baseline {name}: median {seconds:.2f} s; run / baseline {ratio:.2f}x "
            f"(goal: within {goal}x) -> {'MET' if ratio <= goal else 'NOT MET'}"
        )
    if args.no_issue:
        return
    print(
        f"issue {results['issued']} invoices from 4 processes: {results['issue_seconds']:.2f} s "
        f"= {results['issued'] / results['issue_seconds']:.0f} invoices/s; "
        f"gapless: {results['gapless']}; exit codes {results['issue_exit_codes']}; {load()}"
    )


if __name__ == "__main__":
    main()
