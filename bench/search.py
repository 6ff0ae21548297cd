#!/usr/bin/env python
"""Global search benchmark on a big book: is the top-bar search served by its indexes?

Builds, in a fresh database migrated like production (so with the search indexes of
`billing/search/indexes.py`), --accounts customers, --invoices issued invoices and
--payments payments, loaded with COPY, then ANALYZE. Then times, --repeat times after a
warm-up, and prints the median in ms:

- the baseline: the plain indexed lookup of one invoice by its seller and exact number
  in SQL (the unique (legal entity, number) index), measured in the same run;
- `search_book` (all six kinds, as an Admin sees them) for: an invoice number prefix, a PO
  number prefix, a Stripe invoice id prefix, a bank reference prefix, an exact amount
  ("1,200.00") and part of a customer's name;

each with its ratio to the baseline, and EXPLAIN of the invoice-number and the name query
showing which index serves them. A ratio that grows with --invoices means a scan.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/search.py --invoices 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date, timedelta

from common import fresh_database, timed

CHUNK = 100_000


def _copy(cur, sql: str, rows) -> None:
    with cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def generate(args, results: dict) -> dict:
    """Loads the book; returns sample values the queries look for."""
    from django.db import connection

    start = date(2024, 1, 1)
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # psycopg's own cursor, for COPY
        cur.execute(
            "INSERT INTO billing_legalentity (name, address, tax_id, remit_to, invoice_prefix,"
            " credit_note_prefix, email, is_default) VALUES ('Bench Seller', '1 Bench Road', '',"
            " 'Bench Bank', 'INV-', 'CN-', '', true) RETURNING id"
        )
        entity = cur.fetchone()[0]
        with timed(results, "copy_accounts"):
            _copy(
                cur,
                "COPY ordermgmt_account (legal_name, billing_address_line1,"
                " billing_address_line2, billing_city, billing_region, billing_postal_code,"
                " billing_country, tax_id, tax_exempt, default_currency, default_payment_terms,"
                " stripe_customer_id, created_at, updated_at) FROM STDIN",
                (
                    (
                        f"Customer {g:06d} Holdings",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "US",
                        "",
                        False,
                        "USD",
                        "NET30",
                        f"cus_B{g:08d}",
                        "now",
                        "now",
                    )  # fmt: skip
                    for g in range(1, args.accounts + 1)
                ),
            )
            cur.execute("SELECT min(id) FROM ordermgmt_account")
            acc0 = cur.fetchone()[0]
        with timed(results, "copy_invoices"):
            _copy(
                cur,
                "COPY billing_invoice (legal_entity_id, account_id, source, status,"
                " settlement_status, number, currency, invoice_date, due_date, payment_terms,"
                " po_number, buyer_name, buyer_address, buyer_tax_id, tax_exempt, tax_rounding,"
                " subtotal_amount, tax_amount, total_amount, credited_amount, paid_amount,"
                " issued_at, pdf, pdf_sha256, stripe_customer_id, stripe_invoice_id,"
                " created_at, updated_at) FROM STDIN",
                (
                    (
                        entity,
                        acc0 + (g * 7919) % args.accounts,
                        "billing",
                        "issued",
                        "unpaid",
                        f"INV-{2024 + g * 3 // args.invoices}-{g:07d}",
                        "USD",
                        start + timedelta(days=g * 1000 // args.invoices),
                        start + timedelta(days=30 + g * 1000 // args.invoices),
                        "NET30",
                        f"PO-{(g * 104729) % 10_000_000:07d}",
                        "Bench",
                        "",
                        "",
                        False,
                        "line",
                        f"{(g * 7331) % 900_000 + 1000}.00",
                        "0",
                        f"{(g * 7331) % 900_000 + 1000}.00",
                        "0",
                        "0",
                        "now",
                        "",
                        "",
                        "",
                        f"in_B{g:010d}",
                        "now",
                        "now",
                    )  # fmt: skip
                    for g in range(1, args.invoices + 1)
                ),
            )
        with timed(results, "copy_payments"):
            _copy(
                cur,
                "COPY billing_payment (account_id, currency, amount, received_date, method,"
                " reference, external_id, applied_amount, refunded_amount, created_at)"
                " FROM STDIN",
                (
                    (
                        acc0 + g % args.accounts,
                        "USD",
                        f"{(g * 977) % 500_000 + 100}.00",
                        start + timedelta(days=g * 1000 // args.payments),
                        "wire",
                        f"BNK{g:09d}",
                        f"pi_B{g:010d}",
                        "0",
                        "0",
                        "now",
                    )  # fmt: skip
                    for g in range(1, args.payments + 1)
                ),
            )
        with timed(results, "analyze"):
            cur.execute("ANALYZE ordermgmt_account, billing_invoice, billing_payment")
    return samples(args)


def use_database(name: str) -> None:
    from urllib.parse import urlparse, urlunparse

    base = os.environ.get(
        "DATABASE_URL", "postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline"
    )
    os.environ["DATABASE_URL"] = urlunparse(urlparse(base)._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def samples(args) -> dict:
    """Values present in the book `generate` builds with the same sizes."""
    g = args.invoices // 2
    return {
        "number": f"INV-{2024 + g * 3 // args.invoices}-{g:07d}",
        "po": f"PO-{(g * 104729) % 10_000_000:07d}",
        "stripe": f"in_B{g:010d}",
        "reference": f"BNK{args.payments // 3:09d}",
        "amount": f"{(g * 7331) % 900_000 + 1000:,}.00",
        "name": f"mer {args.accounts // 2:06d} Hold",
    }


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def explain(sql: str, params: list) -> list[str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cur.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--database", default="ledgerline_bench_search")
    parser.add_argument(
        "--reuse", action="store_true", help="time the book a previous run left in --database"
    )
    args = parser.parse_args()

    results: dict = {}
    if args.reuse:
        use_database(args.database)
        sample = samples(args)
    else:
        with timed(results, "migrate"):
            fresh_database(args.database)
        sample = generate(args, results)
    for key, seconds in results.items():
        print(f"{key:<16} {seconds:8.1f} s")

    from django.contrib.auth import get_user_model
    from django.db import connection

    from billing.models import Invoice
    from billing.search import search_book
    from ordermgmt.models import Account

    admin, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )

    def baseline():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id FROM billing_invoice WHERE legal_entity_id = %s AND number = %s",
                [entity_id, sample["number"]],
            )
            assert cur.fetchone() is not None

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM billing_legalentity WHERE is_default")
        entity_id = cur.fetchone()[0]
    base = median_ms(baseline, args.repeat)
    print(f"\n{args.invoices:,} invoices, {args.accounts:,} customers, "
          f"{args.payments:,} payments; median of {args.repeat}")  # fmt: skip
    print(f"{'query':<34} {'median ms':>10} {'x baseline':>11} {'hits':>5}")
    print(f"{'baseline: invoice by exact number':<34} {base:10.2f} {1:11.1f}")
    for label, query in [
        ("invoice number prefix", sample["number"][:12]),
        ("PO number prefix", sample["po"][:8]),
        ("Stripe invoice id prefix", sample["stripe"]),
        ("bank reference prefix", sample["reference"]),
        (f"exact amount {sample['amount']}", sample["amount"]),
        ("short number prefix (INV-2025)", sample["number"][:8]),
        ("part of a customer name", sample["name"]),
    ]:
        hits = sum(len(g.hits) for g in search_book(query=query, user=admin))
        ms = median_ms(lambda q=query: search_book(query=q, user=admin), args.repeat)
        print(f"{label:<34} {ms:10.2f} {ms / base:11.1f} {hits:5d}")

    print("\nEXPLAIN invoice number prefix:")
    prefix = (
        Invoice.objects.filter(number__istartswith=sample["number"][:12])
        .order_by()
        .values("id")[:11]
    )
    sql, params = prefix.query.sql_with_params()
    print("\n".join("  " + line for line in explain(sql, list(params))))
    print("EXPLAIN customer name part:")
    names = (
        Account.objects.filter(legal_name__icontains=sample["name"]).order_by().values("id")[:11]
    )
    sql, params = names.query.sql_with_params()
    print("\n".join("  " + line for line in explain(sql, list(params))))


if __name__ == "__main__":
    main()
