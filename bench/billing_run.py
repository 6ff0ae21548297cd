#!/usr/bin/env python
"""Billing run benchmark (issue: billing).

Builds N active contracts with 36 monthly schedule lines each on PostgreSQL, runs billing
for one date, and prints invoices per second, queries per invoice and the ratio to a
baseline measured in the same run: the same invoice and invoice-line rows written with
bulk SQL (multi-row INSERTs into copies of the tables; COPY printed for reference). It also
prints the time per chunk early and late in the run, which stays flat when nothing in a
chunk's work grows with the tables. Then issues the invoices from 4 concurrent
processes and prints invoices per second and whether the numbers are gapless.

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

from common import ROOT, active_monthly_contracts, fresh_database, timed

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
        with connection.execute_wrapper(count), timed(results, "run_seconds"):
            run = execute_billing_run(run=run)
    finally:
        runs.bill_chunk = bill_chunk
    results["run_queries"] = len(queries)
    results["chunk_seconds"] = chunk_seconds
    results["invoices"] = run.invoices_created
    results["lines"] = run.lines_billed
    return run.pk


def bulk_sql_baseline(run_id: int, results: dict) -> None:
    """The same invoice and line rows, written with COPY into copies of the tables."""
    from django.db import connection

    from billing.models import Invoice, InvoiceLine

    invoice_cols = [f.column for f in Invoice._meta.concrete_fields]
    line_cols = [f.column for f in InvoiceLine._meta.concrete_fields]
    invoice_rows = list(
        Invoice.objects.filter(billing_run_id=run_id).values_list(
            *[f.attname for f in Invoice._meta.concrete_fields]
        )
    )
    line_rows = list(
        InvoiceLine.objects.filter(invoice__billing_run_id=run_id).values_list(
            *[f.attname for f in InvoiceLine._meta.concrete_fields]
        )
    )
    import json

    line_rows = [
        tuple(json.dumps(v) if isinstance(v, dict) else v for v in row) for row in line_rows
    ]
    with connection.cursor() as cursor:
        for table in [
            "bench_invoice",
            "bench_invoiceline",
            "bench_invoice_copy",
            "bench_invoiceline_copy",
        ]:
            source = "billing_invoiceline" if "line" in table else "billing_invoice"
            # Same columns, defaults, constraints and indexes as the real tables.
            cursor.execute(f"CREATE TEMP TABLE {table} (LIKE {source} INCLUDING ALL)")
    raw = connection.connection
    # Baseline: multi-row INSERTs of the finished rows (psycopg pipelines executemany).
    with timed(results, "baseline_seconds"), raw.transaction(), raw.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO bench_invoice ({', '.join(invoice_cols)}) VALUES "
            f"({', '.join(['%s'] * len(invoice_cols))})",
            invoice_rows,
        )
        cursor.executemany(
            f"INSERT INTO bench_invoiceline ({', '.join(line_cols)}) VALUES "
            f"({', '.join(['%s'] * len(line_cols))})",
            line_rows,
        )
    # The fastest path PostgreSQL has (COPY), printed for reference.
    with timed(results, "copy_seconds"), raw.transaction():
        with raw.cursor().copy(
            f"COPY bench_invoice_copy ({', '.join(invoice_cols)}) FROM STDIN"
        ) as copy:
            for row in invoice_rows:
                copy.write_row(row)
        with raw.cursor().copy(
            f"COPY bench_invoiceline_copy ({', '.join(line_cols)}) FROM STDIN"
        ) as copy:
            for row in line_rows:
                copy.write_row(row)


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=10000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--database", default="ledgerline_bench_billing")
    args = parser.parse_args()

    fresh_database(args.database)
    results: dict = {}
    with timed(results, "setup_seconds"):
        run_date = build_book(args.contracts, args.months)
    run_id = billing_run(run_date, results)
    bulk_sql_baseline(run_id, results)
    concurrent_issue(results)

    invoices = results["invoices"]
    print(
        f"contracts: {args.contracts} x {args.months} monthly schedule lines "
        f"(setup {results['setup_seconds']:.1f} s)"
    )
    print(
        f"billing run for {run_date}: {invoices} invoices, {results['lines']} lines "
        f"in {results['run_seconds']:.2f} s = {invoices / results['run_seconds']:.0f} invoices/s"
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
    print(
        f"baseline (bulk INSERT of the same invoice + line rows): "
        f"{results['baseline_seconds']:.2f} s = "
        f"{invoices / results['baseline_seconds']:.0f} invoices/s"
    )
    ratio = results["run_seconds"] / results["baseline_seconds"]
    print(
        f"ratio run / bulk INSERT baseline: {ratio:.2f}x (goal: within 5x) -> "
        f"{'MET' if ratio <= 5 else 'NOT MET'}"
    )
    print(
        f"reference: COPY of the same rows {results['copy_seconds']:.2f} s, ratio "
        f"{results['run_seconds'] / results['copy_seconds']:.1f}x"
    )
    print(
        f"issue {results['issued']} invoices from 4 processes: {results['issue_seconds']:.2f} s "
        f"= {results['issued'] / results['issue_seconds']:.0f} invoices/s; "
        f"gapless: {results['gapless']}; exit codes {results['issue_exit_codes']}"
    )


if __name__ == "__main__":
    main()
