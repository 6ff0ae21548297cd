#!/usr/bin/env python
"""AR aging benchmark (issue 20: AR reports).

Builds a book on PostgreSQL with INSERT ... SELECT generate_series (default: 1,000,000
invoices and 1,000,000 payment applications, 1% of them reversals, with payments, credit
notes, voids and refunds; --reuse keeps one built before, migrated), then times, in the
same run and on the same data, as of today, the book's date, a mid-month date and a year
before: the as-of aging as the console computes it (`ar_aging`: today from the customers'
maintained balances; a past date from their monthly movements and a window of dates),
before (its previous path, a pass over every invoice, still the SQLite demo's), the
hand-written SQL on the maintained balances, the tuned one-pass SQL, one statement on the
monthly movements and an SQL from every movement; it prints the times (best of --repeat,
after a warm-up), the ratios (goal: under 1 s and within 3x of the best hand-written
SQL), whether every figure agrees, then the worklist's ranking against its previous path.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/ar_aging.py --invoices 1000000 --applications 1000000
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from ar_baselines import TUNED_SQL, balances_sql, run_baseline, run_months_sql, run_sql
from ar_book import generate
from common import BackendClock, fresh_database, timed

ZERO = Decimal(0)
CLOCK: list[BackendClock] = []  # set once Django is: CPU seconds of each timed run


def run_report(as_of: date, every_invoice: bool = False) -> dict:
    """The report; `every_invoice`: its previous path, a pass over every invoice instead
    of the customers' maintained open balances (still the SQLite demo's)."""
    from collections_app.reports.aging import AgingParams, ar_aging

    report = ar_aging(AgingParams(as_of=as_of), every_invoice=every_invoice)
    return {
        (row.account_id, row.currency): [*row.buckets, row.unapplied_credits]
        for table in report.currencies
        for row in table.rows
    }


def compare(report: dict, baseline: dict) -> tuple[bool, str]:
    if report.keys() != baseline.keys():
        return False, f"rows differ: {len(report)} vs {len(baseline)}"
    for key, values in report.items():
        if values != baseline[key]:
            return False, f"first difference at {key}: {values} vs {baseline[key]}"
    totals = [sum((v[i] for v in report.values()), ZERO) for i in range(7)]
    return True, f"{len(report)} customer rows; net AR {sum(totals)}"


def best_of(repeat: int, run) -> tuple[float, float, object, str]:
    """(best, median, last result, CPU seconds of the best run) of `repeat` timed runs
    after one warm-up run. The CPU is this process's and its PostgreSQL backend's (not
    a parallel worker's): on a shared machine, what the work cost."""
    run()
    times, result, cpu = [], None, []
    for _ in range(repeat):
        measured: dict = {}
        with CLOCK[0].measure(measured, "run"):
            began = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - began)
        cpu.append(measured["run"])
    spent = cpu[times.index(min(times))]
    database = "?" if spent["backend"] is None else f"{spent['backend']:.2f}"
    return (
        min(times),
        statistics.median(times),
        result,
        (f"CPU {spent['client']:.2f} client + {database} database"),
    )


def reuse_database(name: str) -> None:
    import os

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")  # the pages' test client
    import django

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = f"{base}/{name}"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    django.setup()


def report_dates(args) -> list[tuple[str, date]]:
    """Today, the book's date (a month end, ~150k movements after it), the middle of a
    month, and a year before (half the book after it)."""
    book = args.as_of
    middle = date(book.year, book.month, 1) - timedelta(days=105)  # mid-month, ~3.5 months
    dates = [
        ("today", date.today()),
        ("the book's date", book),
        ("mid-month", middle.replace(day=17)),
        ("a year before", date(book.year - 1, book.month, book.day)),
    ]
    return dates[1:] if args.past_only else dates


def measure_worklist(args) -> None:
    """The worklist's ranking, page 1 and page 500 (20 accounts a page), as of each report
    date (today: the maintained balances; a past date: the monthly movements, then the
    page's accounts' invoices) against its previous path (every invoice), figures
    compared; then the whole worklist page (ranking, plans, contacts) as of today."""
    from collections_app.selectors import worklist_page
    from collections_app.selectors.worklist_ranking import ranked_accounts

    for label, as_of in report_dates(args):
        for page in (1, 500):
            offset = (page - 1) * 20
            runs = [
                best_of(
                    args.repeat,
                    lambda d=as_of, o=offset, e=every: ranked_accounts(
                        as_of=d, offset=o, limit=20, every_invoice=e
                    ),
                )
                for every in (False, True)
            ]
            (now, _, found, _), (before, _, previous, _) = runs
            print(
                f"  worklist ranking as of {as_of} ({label}), page {page} (20 of "
                f"{found[1] or 0:,} accounts): best {now * 1000:.0f} ms (median "
                f"{runs[0][1] * 1000:.0f}); previous path {before * 1000:.0f} ms; "
                f"{before / now:.1f}x faster; goal < 300 ms -> "
                f"{'MET' if now < 0.3 else 'NOT MET'}; same accounts and figures: "
                f"{found == previous}; {runs[0][3]}"
            )
    if args.past_only:
        return
    best, median, found, _ = best_of(
        args.repeat, lambda: worklist_page(as_of=date.today(), page=1, page_size=20)
    )
    print(
        f"  worklist page 1 with its plans and contacts as of today ({found.count:,} "
        f"accounts): best {best * 1000:.0f} ms, median {median * 1000:.0f} ms"
    )


AR_PAGES = [
    "/collections/",
    "/collections/?page=500",
    "/api/v1/collections/worklist/",
    "/api/v1/collections/worklist/?page=500&page_size=20",
    "/collections/aging/",
    "/api/v1/reports/ar-aging/",
    "/api/v1/reports/ar-aging/?summary_only=true",
    "/collections/dso/",
    "/api/v1/reports/dso/?start=2025-07-01&end=2026-06-30&trend=true",
]


def measure_pages(args) -> None:
    """The AR pages and APIs through Django's test client as Finance (bench/pages.py's
    measure: median time, peak Python memory, query count), as of today."""
    from pages import run_pages

    for path, m in run_pages(AR_PAGES, args.repeat).items():
        print(
            f"  {path}: HTTP {m.status}, median {m.median_ms:.0f} ms, peak {m.peak_mb:.1f} MB, "
            f"{m.queries} queries"
        )


def main() -> None:
    import os

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")  # the pages' test client
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="ledgerline_bench_ar")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (same size)"
    )
    parser.add_argument("--pages", action="store_true", help="also time the AR pages and APIs")
    parser.add_argument(
        "--past-only", action="store_true", help="time the past dates only (not today)"
    )
    args = parser.parse_args()

    if args.reuse:
        reuse_database(args.database)
        from billing.models import Invoice

        print(f"book: reused {args.database} ({Invoice.objects.count():,} invoices)")
    else:
        fresh_database(args.database)
        results: dict = {}
        with timed(results, "setup_seconds"):
            generate(args, results)
        print(
            f"book: {results['rows_invoice']:,} invoices, "
            f"{results['rows_paymentapplication']:,} payment applications "
            f"({results['rows_payment']:,} payments, {results['rows_creditnote']:,} credit "
            f"notes, {results['rows_refund']:,} refunds), {args.accounts:,} customers; "
            f"generated in {results['setup_seconds']:.1f} s"
        )

    CLOCK.append(BackendClock())
    print(f"as-of aging for {args.as_of} (due date, buckets 30/60/90/120, all currencies):")
    print(f"  load average before: {os.getloadavg()}")
    for label, as_of in report_dates(args):
        print(f"  as of {as_of} ({label}), load average {os.getloadavg()[0]:.1f}:")
        product = best_of(args.repeat, lambda d=as_of: run_report(d))
        months = best_of(args.repeat, lambda d=as_of: run_months_sql(d))
        previous = best_of(args.repeat, lambda d=as_of: run_report(d, every_invoice=True))
        balances = best_of(args.repeat, lambda d=as_of: run_sql(balances_sql(), d))
        tuned = best_of(args.repeat, lambda d=as_of: run_sql(TUNED_SQL, d))
        movements = best_of(max(1, args.repeat // 2), lambda d=as_of: run_baseline(d))
        others = (previous, balances, tuned, movements, months)
        agree = [compare(product[2], other[2]) for other in others]
        best_sql = min(balances[0], tuned[0], months[0])
        ratio = product[0] / best_sql
        print(
            f"    report (ar_aging):        best {product[0]:.3f} s, median {product[1]:.3f} s "
            f"({product[3]})"
        )
        print(
            f"    before (its previous path, a pass over every invoice): best "
            f"{previous[0]:.3f} s -> {previous[0] / product[0]:.1f}x faster now"
        )
        print(
            f"    hand-written SQL on the same maintained balances: best {balances[0]:.3f} s, "
            f"median {balances[1]:.3f} s ({balances[3]})"
        )
        print(
            f"    tuned one-pass SQL (settlement columns + later movements, no maintained "
            f"balances): best {tuned[0]:.3f} s ({tuned[3]})"
        )
        print(
            f"    hand-written SQL on the monthly movements (one statement): best "
            f"{months[0]:.3f} s, median {months[1]:.3f} s ({months[3]})"
        )
        print(f"    SQL from every movement (independent check): best {movements[0]:.3f} s")
        print(
            f"    ratio report / best hand-written SQL: {ratio:.2f}x (balances "
            f"{product[0] / balances[0]:.2f}x, one-pass {product[0] / tuned[0]:.2f}x, "
            f"monthly {product[0] / months[0]:.2f}x) (goal < 1 s and within 3x) -> "
            f"{'MET' if ratio <= 3 and product[0] < 1 else 'NOT MET'}"
        )
        print(
            "    figures agree with the previous path, the hand-written (balances), one-pass, "
            f"every-movement and monthly SQL: {[a[0] for a in agree]} ({agree[0][1]})"
        )
    measure_worklist(args)
    if args.pages:
        measure_pages(args)
    print(f"  load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
