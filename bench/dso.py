#!/usr/bin/env python
"""DSO benchmark (issue: DSO speed).

Builds the AR aging benchmark's book on PostgreSQL (bench/ar_aging.py `generate`: default
1,000,000 invoices and as many payment applications, with payments, credit notes, voids,
refunds, 10% of the invoices in EUR) plus a month-start EUR->USD rate for every month it
spans, then times, in the same run and on the same data:

- what the DSO page computes (`dso_with_trend`: the period figure, simple and countback,
  and the 12-month trend), through the ORM and the module's Python, and
- a hand-written SQL baseline computing the same numbers: AR (gross and unapplied cash)
  as of the 13 dates from one statement (movements grouped by the day they count from,
  then summed up to each date), credit sales per month and for the period from another,
  and the rates as of each date; the DSO arithmetic is the module's pure functions,

and prints both times (best of --repeat runs, after a warm-up), their ratio and whether
every figure agrees.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/helper_reports_bench \
        .venv/bin/python bench/dso.py --invoices 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from ar_aging import generate
from common import fresh_database, timed

ZERO = Decimal(0)

BALANCES_SQL = """
WITH issued AS (
  SELECT id, currency, invoice_date FROM billing_invoice
  WHERE number IS NOT NULL AND status IN ('issued', 'void')
), moves AS (
  SELECT currency, invoice_date AS day, total_amount AS gross, 0::numeric AS cash
    FROM issued JOIN billing_invoice USING (id, currency, invoice_date)
  UNION ALL
  SELECT i.currency, greatest(c.credit_date, i.invoice_date),
         -(c.total_amount - c.on_account_amount), 0
    FROM billing_creditnote c JOIN issued i ON i.id = c.invoice_id
  UNION ALL
  SELECT currency, credit_date, 0, on_account_amount FROM billing_creditnote
    WHERE on_account_amount > 0
  UNION ALL
  SELECT i.currency, greatest(a.applied_date, i.invoice_date), -a.amount, -a.amount
    FROM billing_creditapplication a JOIN issued i ON i.id = a.invoice_id
  UNION ALL
  SELECT n.currency, r.refund_date, 0, -r.amount
    FROM billing_creditrefund r JOIN billing_creditnote n ON n.id = r.credit_note_id
  UNION ALL
  SELECT i.currency, greatest(a.applied_date, i.invoice_date), -a.amount, -a.amount
    FROM billing_paymentapplication a JOIN issued i ON i.id = a.invoice_id
  UNION ALL
  SELECT currency, received_date, 0, amount FROM billing_payment
  UNION ALL
  SELECT p.currency, r.refund_date, 0, -r.amount
    FROM billing_refund r JOIN billing_payment p ON p.id = r.payment_id
), daily AS (
  SELECT currency, day, sum(gross) AS gross, sum(cash) AS cash
  FROM moves WHERE day <= %(last)s GROUP BY currency, day
)
SELECT d.as_of, daily.currency, sum(daily.gross), sum(daily.cash)
FROM unnest(%(dates)s::date[]) AS d(as_of) JOIN daily ON daily.day <= d.as_of
GROUP BY d.as_of, daily.currency
"""

SALES_SQL = """
SELECT date_trunc('month', day)::date AS month, currency, sum(amount),
       coalesce(sum(amount) FILTER (WHERE day >= %(start)s), 0)
FROM (
  SELECT currency, invoice_date AS day, total_amount AS amount FROM billing_invoice
  WHERE number IS NOT NULL AND status IN ('issued', 'void')
    AND invoice_date BETWEEN %(first)s AND %(end)s
  UNION ALL
  SELECT c.currency, c.credit_date, -c.total_amount FROM billing_creditnote c
    JOIN billing_invoice i ON i.id = c.invoice_id
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void')
    AND c.credit_date BETWEEN %(first)s AND %(end)s
) s GROUP BY 1, 2
"""

# The same two from the maintained daily totals (billing_ardailytotal), the best
# hand-written SQL on the same schema as the page.
DAILY_BALANCES_SQL = """
SELECT d.as_of, t.currency, sum(t.gross_amount), sum(t.unapplied_amount)
FROM unnest(%(dates)s::date[]) AS d(as_of) JOIN billing_ardailytotal t ON t.day <= d.as_of
WHERE t.day <= %(last)s
GROUP BY d.as_of, t.currency
"""

DAILY_SALES_SQL = """
SELECT date_trunc('month', day)::date AS month, currency, sum(sales_amount),
       coalesce(sum(sales_amount) FILTER (WHERE day >= %(start)s), 0)
FROM billing_ardailytotal WHERE day BETWEEN %(first)s AND %(end)s
GROUP BY 1, 2
"""

RATES_SQL = """
SELECT d.as_of, r.currency, r.rate, r.rate_date
FROM unnest(%(dates)s::date[]) AS d(as_of)
CROSS JOIN LATERAL (
  SELECT DISTINCT ON (currency) currency, rate, rate_date FROM billing_fxrate
  WHERE reporting_currency = %(reporting)s AND rate_date <= d.as_of
  ORDER BY currency, rate_date DESC
) r
"""


def add_monthly_rates(first: date, last: date) -> None:
    """EUR->USD on the first of every month of the book (the generator adds only one
    rate, ten days before as-of), so that every trend point has a rate."""
    from billing.models import FxRate

    day, rates = first.replace(day=1), []
    while day <= last:
        rate = Decimal("1.0500") + Decimal(day.month) / 1000
        rates.append(FxRate(currency="EUR", reporting_currency="USD", rate_date=day, rate=rate))
        day = (day + timedelta(days=32)).replace(day=1)
    FxRate.objects.bulk_create(rates, ignore_conflicts=True)


def run_report(params, every_movement: bool = False):
    """The page's figures; `every_movement`: its previous path, the movements read one
    by one instead of the maintained daily totals (still the SQLite demo's)."""
    from collections_app.reports.dso.book import dso_with_trend

    return dso_with_trend(params, every_movement=every_movement)


def figures(result, trend) -> dict:
    """The numbers the page shows, at full precision."""
    values = {
        "ending_ar": result.ending_ar,
        "gross_ar": result.gross_ar,
        "unapplied_credits": result.unapplied_credits,
        "credit_sales": result.credit_sales,
        "simple_dso": result.simple,
        "countback_dso": result.countback.dso if result.countback else None,
    }
    for point in trend:
        values[f"trend {point.as_of}"] = (point.dso, point.ending_ar, point.sales)
    return values


def run_baseline(params, daily: bool = False) -> dict:
    """The same figures from hand-written SQL (the arithmetic: the module's pure
    functions), from every movement or (`daily`) from the maintained daily totals. Every
    currency in the bench book has a rate, so no missing-rate path."""
    from django.db import connection

    from collections_app.reports.dso import (
        COUNTBACK_MAX_MONTHS,
        TREND_MONTHS,
        ArBasis,
        DsoMethod,
        MonthSales,
        add_months,
        countback_dso,
        countback_months,
        first_of_month,
        month_end,
        simple_dso,
    )
    from core.money import round_money

    end, reporting = params.end, params.reporting_currency
    ends = [
        min(month_end(add_months(first_of_month(end), -back)), end)
        for back in range(TREND_MONTHS - 1, -1, -1)
    ]
    trend_first = add_months(first_of_month(ends[0]), -(COUNTBACK_MAX_MONTHS - 1))
    first = min(trend_first, params.start)
    balances: dict = defaultdict(dict)
    monthly: dict = {}
    period: dict = defaultdict(lambda: ZERO)
    rates: dict = defaultdict(dict)
    with connection.cursor() as cur:
        cur.execute(DAILY_BALANCES_SQL if daily else BALANCES_SQL, {"dates": ends, "last": end})
        for as_of, code, gross, cash in cur.fetchall():
            balances[as_of][code] = (gross, cash)
        sales_sql = DAILY_SALES_SQL if daily else SALES_SQL
        cur.execute(sales_sql, {"first": first, "end": end, "start": params.start})
        for month, code, total, in_period in cur.fetchall():
            monthly[(month, code)] = total
            period[code] += in_period
        cur.execute(RATES_SQL, {"dates": ends, "reporting": reporting})
        for as_of, code, rate, _ in cur.fetchall():
            rates[as_of][code] = rate

    def total(amounts: dict, as_of: date) -> Decimal:
        rate = {**rates[as_of], reporting: Decimal(1)}  # a missing rate: KeyError
        return sum((round_money(a * rate[c], reporting) for c, a in amounts.items() if a), ZERO)

    def ar(as_of: date) -> tuple[Decimal, Decimal, Decimal]:
        gross = total({c: g for c, (g, _) in balances[as_of].items()}, as_of)
        cash = total({c: u for c, (_, u) in balances[as_of].items()}, as_of)
        return gross, cash, gross - cash if params.ar_basis == ArBasis.NET else gross

    def months_back(as_of: date) -> list:
        return [
            MonthSales(m, days, total({c: a for (mm, c), a in monthly.items() if mm == m}, as_of))
            for m, days in countback_months(as_of, params.month_days, COUNTBACK_MAX_MONTHS)
        ]

    gross, cash, ending_ar = ar(end)
    sales = total(dict(period), end)
    values = {
        "ending_ar": ending_ar,
        "gross_ar": gross,
        "unapplied_credits": -cash if cash else ZERO,
        "credit_sales": sales,
        "simple_dso": simple_dso(ending_ar, sales, params.days),
        "countback_dso": countback_dso(ending_ar, months_back(end)).dso,
    }
    for as_of in ends:
        month_sales = months_back(as_of)
        this = month_sales[0]
        _, _, point_ar = ar(as_of)
        if params.method == DsoMethod.COUNTBACK:
            value = countback_dso(point_ar, month_sales).dso
        else:
            value = simple_dso(point_ar, this.sales, (as_of - this.month).days + 1)
        values[f"trend {as_of}"] = (value, point_ar, this.sales)
    return values


def compare(report: dict, baseline: dict) -> tuple[bool, str]:
    if report.keys() != baseline.keys():
        return False, f"figures differ: {sorted(report)} vs {sorted(baseline)}"
    for key, value in report.items():
        if value != baseline[key]:
            return False, f"first difference at {key}: {value} vs {baseline[key]}"
    return True, (
        f"ending AR {report['ending_ar']:.2f}, credit sales {report['credit_sales']:.2f}, "
        f"simple DSO {report['simple_dso']:.2f}, countback {report['countback_dso']:.2f}, "
        f"{len(report) - 6} trend points"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--applications", type=int, default=None, help="default: --invoices")
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="helper_reports_bench")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (same size)"
    )
    args = parser.parse_args()
    if args.applications is None:
        args.applications = args.invoices

    results: dict = {}
    if args.reuse:
        import django

        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{args.database}"
        os.environ.setdefault("SECRET_KEY", "bench-only")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ.pop("REDIS_URL", None)
        django.setup()
        from billing.models import Invoice

        print(f"book: reused {args.database} ({Invoice.objects.count():,} invoices)")
        add_monthly_rates(args.as_of - timedelta(days=6 * 365), args.as_of)
    else:
        fresh_database(args.database)
        with timed(results, "setup_seconds"):
            generate(args, results)
            add_monthly_rates(args.as_of - timedelta(days=6 * 365), args.as_of)
        print(
            f"book: {results['rows_invoice']:,} invoices, "
            f"{results['rows_paymentapplication']:,} payment applications "
            f"({results['rows_payment']:,} payments, {results['rows_creditnote']:,} credit "
            f"notes, {results['rows_refund']:,} refunds), {args.accounts:,} customers; "
            f"generated in {results['setup_seconds']:.1f} s"
        )

    from collections_app.reports.dso import DsoParams, period_default

    start, end = period_default(args.as_of + timedelta(days=1))
    params = DsoParams(start=start, end=end)

    contenders = {
        "page figures (dso_with_trend, maintained daily totals + Python)": lambda: figures(
            *run_report(params)
        ),
        "before: its previous path (every movement, ORM + Python)": lambda: figures(
            *run_report(params, every_movement=True)
        ),
        "hand-written SQL on the same daily totals": lambda: run_baseline(params, daily=True),
        "hand-written SQL from every movement (one pass)": lambda: run_baseline(params),
    }
    print(f"  load average before: {os.getloadavg()}")
    times: dict = {name: [] for name in contenders}
    found: dict = {}
    for run in contenders.values():
        run()  # warm-up: each reads its tables once, so none pays for a cold cache
    for _ in range(args.repeat):
        for name, run in contenders.items():
            began = time.perf_counter()
            found[name] = run()
            times[name].append(time.perf_counter() - began)
    names = list(contenders)
    page, before, daily_sql, every_sql = (min(times[n]) for n in names)
    print(
        f"DSO {start} .. {end} (simple and countback, net AR, all currencies in USD) "
        "plus the 12-month trend:"
    )
    for name in names:
        print(
            f"  {name}: best {min(times[name]) * 1000:.1f} ms, "
            f"median {statistics.median(times[name]) * 1000:.1f} ms over {args.repeat} runs"
        )
    print(
        f"  before / now: {before / page:.0f}x faster; ratio page / hand-written SQL on the "
        f"daily totals: {page / daily_sql:.2f}x; page / one-pass SQL: {page / every_sql:.3f}x "
        f"(goal < 1 s and within 3x) -> "
        f"{'MET' if page < 1 and page / daily_sql <= 3 else 'NOT MET'}"
    )
    for name in names[1:]:
        agree, detail = compare(found[names[0]], found[name])
        print(f"  figures agree with {name.split(' (')[0]}: {agree} ({detail})")
    print(f"  load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
