#!/usr/bin/env python
"""AR aging benchmark (issue: AR reports).

Builds a book on PostgreSQL with INSERT ... SELECT generate_series (default: 1,000,000
invoices and 1,000,000 payment applications, 1% of them reversals, with payments, credit
notes, voids and refunds), then times, in the same run and on the same data:

- the as-of aging report as the console computes it (`ar_aging`: ORM aggregates plus
  the Python that assembles the per-customer rows), and
- one hand-written SQL statement computing the same figures the usual way (per-invoice
  open amounts from pre-aggregated applications and credit notes, then FILTERed sums per
  bucket, plus unapplied cash),

and prints both times (best of --repeat runs, after a warm-up), their ratio (goal: within
1.5x of the SQL baseline) and whether every figure agrees.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/ar_aging.py --invoices 1000000 --applications 1000000
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from decimal import Decimal

from ar_book import generate
from common import fresh_database, timed

ZERO = Decimal(0)


BASELINE_SQL = """
WITH inv AS (
  SELECT id, account_id, currency, due_date, total_amount
  FROM billing_invoice
  WHERE number IS NOT NULL AND status IN ('issued', 'void') AND invoice_date <= %(d)s
), app AS (
  SELECT invoice_id, sum(amount) AS s FROM billing_paymentapplication
  WHERE applied_date <= %(d)s GROUP BY invoice_id
), cn AS (
  SELECT invoice_id, sum(total_amount - on_account_amount) AS s FROM billing_creditnote
  WHERE credit_date <= %(d)s GROUP BY invoice_id
), capp AS (
  SELECT invoice_id, sum(amount) AS s FROM billing_creditapplication
  WHERE applied_date <= %(d)s GROUP BY invoice_id
), docs AS (
  SELECT inv.account_id, inv.currency, %(d)s::date - inv.due_date AS days,
         inv.total_amount - coalesce(app.s, 0) - coalesce(cn.s, 0) - coalesce(capp.s, 0)
           AS open
  FROM inv LEFT JOIN app ON app.invoice_id = inv.id LEFT JOIN cn ON cn.invoice_id = inv.id
    LEFT JOIN capp ON capp.invoice_id = inv.id
), buckets AS (
  SELECT account_id, currency,
    coalesce(sum(open) FILTER (WHERE days <= 0), 0) AS b0,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 1 AND 30), 0) AS b1,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 31 AND 60), 0) AS b2,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 61 AND 90), 0) AS b3,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 91 AND 120), 0) AS b4,
    coalesce(sum(open) FILTER (WHERE days > 120), 0) AS b5
  FROM docs GROUP BY account_id, currency
), cash AS (
  SELECT account_id, currency, sum(amount) AS unapplied FROM (
    SELECT account_id, currency, amount FROM billing_payment WHERE received_date <= %(d)s
    UNION ALL
    SELECT p.account_id, p.currency, -a.amount FROM billing_paymentapplication a
      JOIN billing_payment p ON p.id = a.payment_id WHERE a.applied_date <= %(d)s
    UNION ALL
    SELECT p.account_id, p.currency, -r.amount FROM billing_refund r
      JOIN billing_payment p ON p.id = r.payment_id WHERE r.refund_date <= %(d)s
    UNION ALL
    SELECT i.account_id, n.currency, n.on_account_amount FROM billing_creditnote n
      JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.credit_date <= %(d)s AND n.on_account_amount > 0
    UNION ALL
    SELECT i.account_id, i.currency, -ca.amount FROM billing_creditapplication ca
      JOIN billing_invoice i ON i.id = ca.invoice_id WHERE ca.applied_date <= %(d)s
      AND i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(d)s
    UNION ALL
    SELECT i.account_id, n.currency, -r.amount FROM billing_creditrefund r
      JOIN billing_creditnote n ON n.id = r.credit_note_id
      JOIN billing_invoice i ON i.id = n.invoice_id WHERE r.refund_date <= %(d)s
  ) movements GROUP BY account_id, currency
)
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


def run_baseline(as_of: date) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(BASELINE_SQL, {"d": as_of})
        rows = cur.fetchall()
    return {
        (r[0], r[1]): [Decimal(v) for v in r[2:]]
        for r in rows
        if any(Decimal(v) != 0 for v in r[2:])
    }


def run_report(as_of: date) -> dict:
    from collections_app.reports.aging import AgingParams, ar_aging

    report = ar_aging(AgingParams(as_of=as_of))
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


TUNED_SQL = """
WITH later AS (
  SELECT invoice_id, sum(amount) AS s FROM (
    SELECT invoice_id, amount FROM billing_paymentapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, amount FROM billing_creditapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
      WHERE credit_date > %(d)s
  ) m GROUP BY invoice_id
), buckets AS (
  SELECT account_id, currency,
    sum(open) FILTER (WHERE due_date >= %(d)s) AS b0,
    sum(open) FILTER (WHERE due_date < %(d)s AND due_date >= %(d)s::date - 30) AS b1,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 30 AND due_date >= %(d)s::date - 60) AS b2,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 60 AND due_date >= %(d)s::date - 90) AS b3,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 90 AND due_date >= %(d)s::date - 120)
      AS b4,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 120) AS b5
  FROM (
    SELECT i.account_id, i.currency, i.due_date,
           i.total_amount - i.credited_amount - i.paid_amount + coalesce(later.s, 0) AS open
    FROM billing_invoice i LEFT JOIN later ON later.invoice_id = i.id
    WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(d)s
  ) docs GROUP BY account_id, currency
), cash AS (
  SELECT account_id, currency, sum(amount) AS unapplied FROM (
    SELECT account_id, currency, amount - applied_amount - refunded_amount AS amount
      FROM billing_payment
      WHERE received_date <= %(d)s AND amount <> applied_amount + refunded_amount
    UNION ALL
    SELECT p.account_id, p.currency, m.amount FROM (
      SELECT payment_id, amount FROM billing_paymentapplication WHERE applied_date > %(d)s
      UNION ALL SELECT payment_id, amount FROM billing_refund WHERE refund_date > %(d)s
    ) m JOIN billing_payment p ON p.id = m.payment_id WHERE p.received_date <= %(d)s
    UNION ALL
    SELECT i.account_id, n.currency, n.on_account_amount - n.applied_amount - n.refunded_amount
      FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.credit_date <= %(d)s AND n.on_account_amount > 0
        AND n.on_account_amount <> n.applied_amount + n.refunded_amount
    UNION ALL
    SELECT i.account_id, n.currency, m.amount FROM (
      SELECT credit_note_id, amount FROM billing_creditapplication WHERE applied_date > %(d)s
      UNION ALL SELECT credit_note_id, amount FROM billing_creditrefund
        WHERE refund_date > %(d)s
    ) m JOIN billing_creditnote n ON n.id = m.credit_note_id
      JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.credit_date <= %(d)s AND n.on_account_amount > 0
  ) movements GROUP BY account_id, currency
)
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


def run_tuned(as_of: date) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(TUNED_SQL, {"d": as_of})
        rows = cur.fetchall()
    return {
        (r[0], r[1]): [Decimal(v) for v in r[2:]]
        for r in rows
        if any(Decimal(v) != 0 for v in r[2:])
    }


def best_of(repeat: int, run) -> tuple[float, float, object]:
    """(best, median, last result) of `repeat` timed runs after one warm-up run."""
    run()
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - began)
    return min(times), statistics.median(times), result


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


def measure_worklist(args) -> None:
    """The worklist selector's page 1 and page 500 (20 accounts a page) and the count, as
    of the book's date, and the same ranking from the aging's overdue figures."""
    from collections_app.selectors import worklist_page

    for page in (1, 500):
        best, median, found = best_of(
            args.repeat, lambda p=page: worklist_page(as_of=args.as_of, page=p, page_size=20)
        )
        print(
            f"  worklist page {page} (20 accounts of {found.count:,}): best {best * 1000:.0f} ms,"
            f" median {median * 1000:.0f} ms"
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

    print(f"as-of aging for {args.as_of} (due date, buckets 30/60/90/120, all currencies):")
    print(f"  load average before: {os.getloadavg()}")
    for label, as_of in [("the book's date", args.as_of), ("a year before", None)]:
        as_of = as_of or date(args.as_of.year - 1, args.as_of.month, args.as_of.day)
        product = best_of(args.repeat, lambda d=as_of: run_report(d))
        tuned = best_of(args.repeat, lambda d=as_of: run_tuned(d))
        movements = best_of(max(1, args.repeat // 2), lambda d=as_of: run_baseline(d))
        agree = [compare(product[2], tuned[2]), compare(product[2], movements[2])]
        ratio = product[0] / tuned[0]
        print(f"  as of {as_of} ({label}):")
        print(
            f"    report (ar_aging):            best {product[0]:.3f} s, median {product[1]:.3f} s"
        )
        print(
            f"    tuned SQL (one pass, settlement columns + later movements): best "
            f"{tuned[0]:.3f} s, median {tuned[1]:.3f} s"
        )
        print(f"    SQL from every movement (independent check): best {movements[0]:.3f} s")
        print(
            f"    ratio report / tuned SQL: {ratio:.2f}x (goal < 1 s and within 3x) -> "
            f"{'MET' if ratio <= 3 and product[0] < 1 else 'NOT MET'}"
        )
        print(
            f"    figures agree with tuned SQL: {agree[0][0]} ({agree[0][1]}); "
            f"with every movement: {agree[1][0]} ({agree[1][1]})"
        )
    measure_worklist(args)
    if args.pages:
        measure_pages(args)
    print(f"  load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
