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


CASH_SQL = """
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
"""

TUNED_SQL = f"""
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
), cash AS ({CASH_SQL})
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


# The best hand-written SQL for the same figures with the same schema: each customer's
# maintained open balance (billing_accountopenbalance) in the oldest bucket, each open
# invoice due in the last 120 days (or dated after the date) moved from there to its own
# bucket, and the movements dated after the date added back to their invoice's bucket.
BALANCES_SQL = """
WITH parts AS (
  SELECT account_id, currency, 5 AS k, open_amount AS amount
    FROM billing_accountopenbalance WHERE open_invoices > 0
  UNION ALL
  SELECT i.account_id, i.currency, v.k, v.amount
  FROM billing_invoice i CROSS JOIN LATERAL (VALUES
    (5, -(i.total_amount - i.credited_amount - i.paid_amount)),
    (CASE WHEN i.invoice_date > %(d)s THEN NULL WHEN i.due_date >= %(d)s THEN 0
          ELSE least(5, 1 + (%(d)s::date - i.due_date - 1) / 30) END,
     i.total_amount - i.credited_amount - i.paid_amount)) v (k, amount)
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void')
    AND i.total_amount - i.credited_amount - i.paid_amount > 0
    AND i.due_date >= %(d)s::date - 120
  UNION ALL
  SELECT i.account_id, i.currency, v.k, v.amount
  FROM billing_invoice i CROSS JOIN LATERAL (VALUES
    (5, -(i.total_amount - i.credited_amount - i.paid_amount))) v (k, amount)
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void')
    AND i.total_amount - i.credited_amount - i.paid_amount > 0
    AND i.invoice_date > %(d)s AND i.due_date < %(d)s::date - 120
  UNION ALL
  SELECT i.account_id, i.currency,
    CASE WHEN i.due_date >= %(d)s THEN 0
         ELSE least(5, 1 + (%(d)s::date - i.due_date - 1) / 30) END, m.amount
  FROM (
    SELECT invoice_id, amount FROM billing_paymentapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, amount FROM billing_creditapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
      WHERE credit_date > %(d)s
  ) m JOIN billing_invoice i ON i.id = m.invoice_id
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(d)s
), buckets AS (
  SELECT account_id, currency,
    sum(amount) FILTER (WHERE k = 0) AS b0, sum(amount) FILTER (WHERE k = 1) AS b1,
    sum(amount) FILTER (WHERE k = 2) AS b2, sum(amount) FILTER (WHERE k = 3) AS b3,
    sum(amount) FILTER (WHERE k = 4) AS b4, sum(amount) FILTER (WHERE k = 5) AS b5
  FROM parts GROUP BY account_id, currency
), cash AS ({{CASH_FROM_BALANCES_SQL}})
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


def balances_sql() -> str:
    """BALANCES_SQL with its unapplied part: the customers' maintained unapplied amounts
    through the product's own statement (billing.selectors.ar_as_of.
    UNAPPLIED_FROM_BALANCES_SQL), as there is no shorter way to those figures on this
    schema (imported once Django is set up)."""
    from billing.selectors.ar_as_of import UNAPPLIED_FROM_BALANCES_SQL

    cash = UNAPPLIED_FROM_BALANCES_SQL.replace("%(as_of)s", "%(d)s")
    return BALANCES_SQL.replace("{{CASH_FROM_BALANCES_SQL}}", cash)


# The hand-written SQL on the customers' monthly movements (billing_accountmonthlymovement):
# one statement, each customer's open and unapplied amounts as of the date from the months
# on the shorter side of it plus one month of movements, and the invoices of the recent
# buckets one by one from a window of dates; the oldest bucket is the rest. Its {totals}
# and {young} parts are the product's (billing.selectors.ar_window), with their
# parameters; no Python between them.
MONTHS_SQL = """
WITH totals AS ({totals}), young AS (
  SELECT account_id, currency,
    sum(amount) FILTER (WHERE due_date >= %(d)s) AS b0,
    sum(amount) FILTER (WHERE due_date < %(d)s AND due_date >= %(d)s::date - 30) AS b1,
    sum(amount) FILTER (WHERE due_date < %(d)s::date - 30 AND due_date >= %(d)s::date - 60)
      AS b2,
    sum(amount) FILTER (WHERE due_date < %(d)s::date - 60 AND due_date >= %(d)s::date - 90)
      AS b3,
    sum(amount) FILTER (WHERE due_date < %(d)s::date - 90) AS b4, sum(amount) AS amount
  FROM ({young}) y GROUP BY account_id, currency
)
SELECT coalesce(t.account_id, y.account_id), coalesce(t.currency, y.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(t.open_amount, 0) - coalesce(y.amount, 0), -coalesce(t.unapplied_amount, 0)
FROM totals t FULL OUTER JOIN young y ON y.account_id = t.account_id AND y.currency = t.currency
"""


def run_months_sql(as_of: date) -> dict:
    from django.db import connection, transaction

    from billing.selectors.ar_window import totals_as_of, tune_window_transaction, young_as_of

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute("SET LOCAL jit = off")
        tune_window_transaction(cur)
        totals = totals_as_of(cur, as_of)
        young = young_as_of(cur, as_of, "due_date", 120)
        sql = MONTHS_SQL.format(totals=totals.sql, young=young.sql)
        cur.execute(sql, {"d": as_of} | totals.params | young.params)
        rows = cur.fetchall()
    return {
        (r[0], r[1]): [Decimal(v) for v in r[2:]]
        for r in rows
        if any(Decimal(v) != 0 for v in r[2:])
    }


def run_sql(sql: str, as_of: date) -> dict:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql, {"d": as_of})
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


def report_dates(args) -> list[tuple[str, date]]:
    """Today, the book's date (a month end, ~150k movements after it), the middle of a
    month, and a year before (half the book after it)."""
    book = args.as_of
    middle = date(book.year, book.month, 1) - timedelta(days=105)  # mid-month, ~3.5 months
    return [
        ("today", date.today()),
        ("the book's date", book),
        ("mid-month", middle.replace(day=17)),
        ("a year before", date(book.year - 1, book.month, book.day)),
    ]


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
            (now, _, found), (before, _, previous) = runs
            print(
                f"  worklist ranking as of {as_of} ({label}), page {page} (20 of "
                f"{found[1] or 0:,} accounts): best {now * 1000:.0f} ms (median "
                f"{runs[0][1] * 1000:.0f}); previous path {before * 1000:.0f} ms; "
                f"{before / now:.1f}x faster; goal < 300 ms -> "
                f"{'MET' if now < 0.3 else 'NOT MET'}; same accounts and figures: "
                f"{found == previous}"
            )
    best, median, found = best_of(
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
        print(f"    report (ar_aging):        best {product[0]:.3f} s, median {product[1]:.3f} s")
        print(
            f"    before (its previous path, a pass over every invoice): best "
            f"{previous[0]:.3f} s -> {previous[0] / product[0]:.1f}x faster now"
        )
        print(
            f"    hand-written SQL on the same maintained balances: best {balances[0]:.3f} s, "
            f"median {balances[1]:.3f} s"
        )
        print(
            f"    tuned one-pass SQL (settlement columns + later movements, no maintained "
            f"balances): best {tuned[0]:.3f} s"
        )
        print(
            f"    hand-written SQL on the monthly movements (one statement): best "
            f"{months[0]:.3f} s, median {months[1]:.3f} s"
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
