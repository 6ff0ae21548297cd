#!/usr/bin/env python
"""Revenue pages and the billing run page at two book sizes (issue 20).

Builds, in a fresh database per size, N active monthly contracts (billing_run.py's book:
36 monthly schedule lines each, billing contacts, tax rates), runs billing for one date
(one draft invoice per contract: an N-invoice run), issues half of those invoices by SQL
(so that contracts have a billed figure), then builds their revenue through the bulk path
of revrec.py (`recognise_contracts`: one obligation and 36 monthly revenue lines per
contract, 360k lines at 10k contracts). It then requests, in-process with the test client
as `bench/pages.py` does (its `measure`: median of --repeat after a warm-up, peak Python
memory, query count), the revenue waterfall, roll-forward and balances pages, their APIs
and the run page, and prints them side by side for --small and --large contracts,
flagging a page over --budget-ms, over --memory-mb, or whose query count grows.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/revenue_pages.py --small 2000 --large 10000 [--reuse]

--reuse measures the two databases an earlier run built (migrated to the code's latest).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict

from ar_aging import reuse_database
from common import fresh_database
from pages import Measure, measure, users

PATHS = [
    ("/revenue/", "finance"),
    ("/revenue/?page=5", "finance"),
    ("/revenue/roll-forward/", "finance"),
    ("/revenue/balances/", "finance"),
    ("/revenue/balances/?page=5", "finance"),
    ("/api/v1/revenue/waterfall/?currency=USD", "finance"),
    ("/api/v1/revenue/waterfall/?currency=USD&summary_only=true", "finance"),
    ("/api/v1/revenue/balances/?currency=USD", "finance"),
    ("/api/v1/revenue/balances/?currency=USD&summary_only=true", "finance"),
    ("/billing/runs/{run}/", "specialist"),
    ("/billing/runs/{run}/?page=5", "specialist"),
]


def build(n_contracts: int) -> int:
    """The book and its billing run; returns the run's id."""
    from billing_run import billing_run
    from billing_run import build_book as build_billing_book
    from django.db import connection
    from revrec import build_revenue

    from ordermgmt.models import Contract, Product, ProductPrice

    run_date = build_billing_book(n_contracts, 36)
    results: dict = {}
    run_id = billing_run(run_date, results)
    with connection.cursor() as cursor:
        # Half the run's invoices issued, so that balances have billed figures; the
        # bench does not time issuing (bench/billing_run.py does).
        cursor.execute(
            "UPDATE billing_invoice SET status = 'issued', number = 'BENCH-' || id, "
            "invoice_date = %s WHERE billing_run_id = %s AND id %% 2 = 0",
            [run_date, run_id],
        )
    product = Product.objects.get(sku="SEAT")
    ProductPrice.objects.get_or_create(
        product=product, currency="USD", defaults={"standalone_selling_price": 1200}
    )
    built: dict = {}
    build_revenue(list(Contract.objects.order_by("pk").values_list("pk", flat=True)), built)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{n_contracts} contracts: run of {results['invoices']} invoices in "
        f"{results['run_seconds']:.1f} s, revenue built in {built['run_seconds']:.1f} s",
        flush=True,
    )
    return run_id


def measure_size(args) -> None:
    """Child process: one database, one size, every page; JSON to --json."""
    from django.test import Client

    if args.reuse:
        reuse_database(f"{args.database}_{args.size}")
    else:
        fresh_database(f"{args.database}_{args.size}")
    from django.core.management import call_command

    from billing.models import BillingRun
    from billing.revenue.models import RevenueScheduleLine

    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    if args.reuse:
        call_command("migrate", verbosity=0)  # the code's own migrations
        run_id = BillingRun.objects.order_by("-pk").values_list("pk", flat=True).first()
    else:
        run_id = build(args.size)
    lines = RevenueScheduleLine.objects.count()
    print(
        f"book {'reused' if args.reuse else 'built'} in {time.perf_counter() - started:.0f} s: "
        f"{lines} revenue lines"
    )
    accounts = users()
    clients: dict = {}

    def client_for(role: str):
        if role not in clients:
            clients[role] = Client(raise_request_exception=False)
            clients[role].force_login(accounts[role])
        return clients[role]

    out = {}
    for template, role in PATHS:
        path = template.format(run=run_id)
        found = measure(client_for, path, role, args.repeat)
        out[template] = asdict(found)
        # Printed as measured too, so that a size's figures survive a failure of the other.
        print(
            f"  {args.size} contracts  {template[:56]:56} {found.median_ms:8.0f} ms "
            f"(CPU {found.cpu_ms:5.0f}, SQL {found.sql_ms:5.0f}) "
            f"{found.peak_mb:6.1f} MB {found.queries:4} queries  HTTP {found.status}  "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    with open(args.json, "w") as fh:
        json.dump(out, fh)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=300.0)
    parser.add_argument("--memory-mb", type=float, default=50.0)
    parser.add_argument("--database", default="ledgerline_bench_revpages")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the databases of an earlier run (same sizes)"
    )
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        measure_size(args)
        return

    runs = {}
    for size in (args.small, args.large):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            child = [sys.executable, __file__, *sys.argv[1:], "--size", str(size)]
            subprocess.run([*child, "--json", out.name], check=True)
            with open(out.name) as fh:
                runs[size] = {p: Measure(**m) for p, m in json.load(fh).items()}
    small, large = runs[args.small], runs[args.large]
    print(f"\nload average {os.getloadavg()}")
    # CPU (this process) and SQL (waiting for the database) move less with the load of a
    # shared machine than the wall time.
    print(
        f"{'page (contracts: small / large)':58} {'ms@' + str(args.small):>9} "
        f"{'ms@' + str(args.large):>9} {'cpu@large':>9} {'sql@large':>9} {'MB@large':>8} "
        f"{'q@small':>7} {'q@large':>7}  flags"
    )
    flagged = 0
    for path, b in large.items():
        a = small.get(path)
        flags = []
        if b.status != 200:
            flags.append(f"HTTP {b.status}")
        if b.median_ms > args.budget_ms:
            flags.append(f"over {args.budget_ms:.0f} ms")
        if b.peak_mb > args.memory_mb:
            flags.append(f"over {args.memory_mb:.0f} MB")
        if a and a.queries != b.queries:
            flags.append("queries grow")
        flagged += bool(flags)
        print(
            f"{path[:58]:58} {a.median_ms if a else 0:9.0f} {b.median_ms:9.0f} "
            f"{b.cpu_ms:9.0f} {b.sql_ms:9.0f} "
            f"{b.peak_mb:8.1f} {a.queries if a else 0:7} {b.queries:7}  {', '.join(flags)}"
        )
    print(f"\n{len(large)} pages; {flagged} flagged")


if __name__ == "__main__":
    main()
