#!/usr/bin/env python
"""Invoice PDF benchmark (issue 20): the product's PDF path against bare WeasyPrint.

Bills and issues N invoices (the billing run bench's book: one seat line billed for three
months, so three lines an invoice), then renders each one twice, in the same loop:

- the product's path, `invoice_pdf_bytes` (loads the invoice's lines, builds the context,
  renders the template, WeasyPrint with the URL fetcher that refuses every URL);
- the baseline: the same HTML, rendered beforehand, through bare
  `weasyprint.HTML(string=html).write_pdf()`.

The two alternate invoice by invoice (which goes first alternates too), so a change in the
machine's load falls on both. Prints both medians, their ratio (goal: under 1.2x) and the
load average, and reads one PDF back with pypdf to check it shows the invoice number and
total.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/invoice_pdf.py --invoices 50
"""

from __future__ import annotations

import argparse
import os
import time
from io import BytesIO
from statistics import median

from billing_run import book_database, build_book

GOAL = 1.2


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def issued_invoices(n: int) -> list:
    from billing.models import BillingRun, Invoice
    from billing.services import execute_billing_run, invoicing

    run_date = build_book(n, 12)
    execute_billing_run(run=BillingRun.objects.create(run_date=run_date))
    invoicing.ON_ISSUE.clear()  # no e-mail, no stored PDF: the bench renders them itself
    for invoice in Invoice.objects.filter(status="draft").order_by("id"):
        invoicing.issue_invoice(invoice=invoice, actor=None)
    return list(Invoice.objects.select_related("legal_entity").order_by("id"))


def page_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=50)
    parser.add_argument("--database", default="ledgerline_bench_pdf")
    args = parser.parse_args()

    book_database(args.database)
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from billing.documents.pdf import _invoice_context, invoice_pdf_bytes
    from core.money import format_money

    invoices = issued_invoices(args.invoices)
    html = {
        i.pk: render_to_string("billing/pdf/invoice.html", _invoice_context(i)) for i in invoices
    }
    # Warm-up: fonts, the template cache and WeasyPrint's own caches load on first use.
    invoice_pdf_bytes(invoices[0])
    HTML(string=html[invoices[0].pk]).write_pdf()

    product_seconds: list[float] = []
    bare_seconds: list[float] = []
    sizes = [0, 0]
    print(f"{len(invoices)} issued invoices, {invoices[0].lines.count()} lines each; {load()}")
    for index, invoice in enumerate(invoices):
        runs = [("product", invoice_pdf_bytes, invoice), ("bare", None, html[invoice.pk])]
        for name, render, subject in runs if index % 2 == 0 else reversed(runs):
            start = time.perf_counter()
            pdf = render(subject) if render else HTML(string=subject).write_pdf()
            elapsed = time.perf_counter() - start
            if name == "product":
                product_seconds.append(elapsed)
                sizes[0] += len(pdf)
                last_pdf = pdf
            else:
                bare_seconds.append(elapsed)
                sizes[1] += len(pdf)

    product, bare = median(product_seconds), median(bare_seconds)
    ratio = product / bare
    print(
        f"product path (invoice_pdf_bytes): median {1000 * product:.0f} ms a PDF, "
        f"{sum(product_seconds):.2f} s in all, {sizes[0] // len(invoices)} bytes a PDF"
    )
    print(
        f"bare weasyprint HTML(string=...).write_pdf() on the same HTML: median "
        f"{1000 * bare:.0f} ms a PDF, {sum(bare_seconds):.2f} s in all, "
        f"{sizes[1] // len(invoices)} bytes a PDF"
    )
    print(
        f"ratio product / bare: {ratio:.2f}x (goal: under {GOAL}x) -> "
        f"{'MET' if ratio < GOAL else 'NOT MET'}; {load()}"
    )
    last = invoices[-1]
    text = page_text(last_pdf)
    total = format_money(last.total_amount, last.currency)
    found = {"number": last.number in text, "total": total in text}
    print(
        f"read back {last.number}: invoice number {'found' if found['number'] else 'MISSING'}, "
        f"total {total} {'found' if found['total'] else 'MISSING'}"
    )
    if not all(found.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
