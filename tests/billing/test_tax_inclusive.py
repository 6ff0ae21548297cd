"""Tax-inclusive prices (issue 14, item 3): the contract's prices are gross; each invoice
line's net and tax are split from the gross by the seller's rounding rule, and the invoice
totals exactly the gross agreed, to the cent, in every currency."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingRun, CreditNote, Invoice
from billing.services import (
    CreditLineInput,
    execute_billing_run,
    issue_credit_note,
    issue_invoice,
    queue_billing_run,
    void_invoice,
)
from billing.services.tax import included_taxes
from tests.factories import (
    ProductFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
    line_input,
    seller_rounds_tax,
)

pytestmark = pytest.mark.django_db
D = Decimal


def drafts(run_date=date(2026, 1, 1)):
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return list(Invoice.objects.filter(status="draft").order_by("id"))


def german_buyer(**overrides):
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    return billable_account(billing_country="DE", **overrides)


def inclusive_invoice(gross_prices, rule, *, currency="EUR", account=None):
    """An issued invoice of one annual line per gross price (quantity 1, billed at once)."""
    product = ProductFactory()
    seller_rounds_tax(rule)
    active_contract(
        account=account or german_buyer(),
        currency=currency,
        prices_include_tax=True,
        lines=[line_input(product, quantity=D(1), unit_price=D(p)) for p in gross_prices],
    )
    (invoice,) = drafts()
    return issue_invoice(invoice=invoice, actor=None)


def splits(invoice):
    return [(ln.amount, ln.tax_amount) for ln in invoice.lines.order_by("position")]


# --- The two rules on their own -------------------------------------------------------------


def test_the_per_line_rule_rounds_each_net_and_gives_the_rest_to_tax():
    # 10.00 gross at 19 %: 10.00 / 1.19 = 8.4033... -> net 8.40, tax 10.00 - 8.40 = 1.60.
    # Research 1.3's case: 2.99 at 4 % -> 2.99 / 1.04 = 2.875 -> net 2.88, tax 0.11.
    assert included_taxes([D("10.00")] * 3, [D(19)] * 3, "EUR", "line") == [D("1.60")] * 3
    assert included_taxes([D("2.99")], [D(4)], "USD", "line") == [D("0.11")]


def test_the_per_rate_rule_rounds_the_total_tax_once_and_shares_it_by_largest_remainder():
    # Three 10.00 gross at 19 %. Total gross 30.00 / 1.19 = 25.2100... -> net 25.21, so the
    # rate's tax is 30.00 - 25.21 = 4.79 (the per-line rule gives 3 x 1.60 = 4.80).
    # Each line's exact tax is 10 x 19/119 = 1.596638...: floored 1.59 each (4.77), the
    # 2 cents left go to the largest fractions; all are equal, so ties go to the earlier
    # lines: 1.60, 1.60, 1.59.
    taxes = included_taxes([D("10.00")] * 3, [D(19)] * 3, "EUR", "total")
    assert taxes == [D("1.60"), D("1.60"), D("1.59")]
    assert sum(taxes) == D("4.79")


def test_a_credit_line_of_the_per_rate_rule_shares_the_tax_by_its_signed_gross():
    # A proration credit of -5.00 beside a debit of 10.00 at 19 %: net total 5.00 / 1.19 =
    # 4.2016... -> 4.20, tax 0.80. Exact taxes: 1.596638 and -0.798319; floored (towards
    # minus infinity) 1.59 and -0.80 = 0.79; one cent left to the larger fraction (0.66 of
    # the debit against 0.17 of the credit): 1.60 and -0.80.
    assert included_taxes([D("10.00"), D("-5.00")], [D(19)] * 2, "EUR", "total") == [
        D("1.60"),
        D("-0.80"),
    ]


# --- Invoices from the billing run ------------------------------------------------------------


def test_three_lines_of_ten_euros_split_differently_by_the_two_rules_and_both_total_thirty():
    # Per line: 3 x (8.40 + 1.60). Per rate: net 25.21, tax 4.79 as 8.40+1.60, 8.40+1.60,
    # 8.41+1.59. Both invoices total 30.00, the gross agreed, and say which rule split them.
    per_line = inclusive_invoice(["10.00"] * 3, "line")
    assert splits(per_line) == [(D("8.40"), D("1.60"))] * 3
    assert (per_line.subtotal_amount, per_line.tax_amount, per_line.total_amount) == (
        D("25.20"),
        D("4.80"),
        D("30.00"),
    )
    per_rate = inclusive_invoice(["10.00"] * 3, "total")
    assert splits(per_rate) == [
        (D("8.40"), D("1.60")),
        (D("8.40"), D("1.60")),
        (D("8.41"), D("1.59")),
    ]
    assert (per_rate.subtotal_amount, per_rate.tax_amount, per_rate.total_amount) == (
        D("25.21"),
        D("4.79"),
        D("30.00"),
    )
    assert (per_line.prices_include_tax, per_line.tax_rounding) == (True, "line")
    assert (per_rate.prices_include_tax, per_rate.tax_rounding) == (True, "total")


def test_three_lines_of_119_euros_divide_exactly_so_both_rules_give_100_plus_19():
    # 119.00 / 1.19 = 100.00 exactly: nothing to round, and both rules agree (the brief's
    # example; the 10.00 case above is the one where they differ). Total 357.00.
    for rule in ("line", "total"):
        invoice = inclusive_invoice(["119.00"] * 3, rule)
        assert splits(invoice) == [(D("100.00"), D("19.00"))] * 3
        assert invoice.total_amount == D("357.00")


def test_a_yen_invoice_splits_to_whole_yen_and_totals_the_gross():
    # JPY has no minor unit. 1,000 yen at 10 %: 1000 / 1.1 = 909.09 -> net 909, tax 91.
    # Per rate over three lines: 3000 / 1.1 = 2727.27 -> net 2727, tax 273; exact tax per
    # line 90.909...: floored 90 each (270), 3 yen left, one to each line: 91, 91, 91.
    # With 1,001 + 1,000 + 999 the per-rate tax is again 273, shared 91/91/91 by the
    # fractions .0, .909, .818 after floors 91, 90, 90... see the asserts.
    TaxRateFactory(country="JP", name="Consumption tax", percent=D("10"))
    account = billable_account(billing_country="JP")
    invoice = inclusive_invoice(["1000", "1000", "1000"], "line", currency="JPY", account=account)
    assert splits(invoice) == [(D("909"), D("91"))] * 3
    assert invoice.total_amount == D("3000")
    account = billable_account(billing_country="JP")
    invoice = inclusive_invoice(["1001", "1000", "999"], "total", currency="JPY", account=account)
    # Exact taxes 91.0, 90.909, 90.818: floors 91, 90, 90 = 271; 2 yen left for the two
    # largest fractions (.909, .818): 91, 91, 91 -> nets 910, 909, 908 = 2727.
    assert splits(invoice) == [(D("910"), D("91")), (D("909"), D("91")), (D("908"), D("91"))]
    assert (invoice.subtotal_amount, invoice.tax_amount, invoice.total_amount) == (
        D("2727"),
        D("273"),
        D("3000"),
    )


def test_each_line_explains_its_gross_rate_rule_net_and_tax():
    invoice = inclusive_invoice(["10.00"], "line")
    explained = invoice.lines.get().explanation["tax_inclusive"]
    assert explained["gross"] == "10.00"
    assert explained["tax_percent"] == "19"
    assert explained["rule"] == "line"
    assert (explained["net"], explained["tax"]) == ("8.40", "1.60")
    assert "round(gross" in explained["rule_text"]


def test_a_tax_exclusive_contract_still_adds_tax_as_before():
    # The default basis is unchanged: 10.00 net + 19 % = 11.90 (section 1.3, per line).
    product = ProductFactory()
    active_contract(
        account=german_buyer(),
        currency="EUR",
        lines=[line_input(product, quantity=D(1), unit_price=D("10.00"))],
    )
    (invoice,) = drafts()
    assert (invoice.prices_include_tax, invoice.total_amount) == (False, D("11.90"))
    assert splits(invoice) == [(D("10.00"), D("1.90"))]


# --- Credit notes ---------------------------------------------------------------------------


def test_voiding_a_tax_inclusive_invoice_credits_back_each_lines_own_split():
    # The per-rate invoice split 8.40+1.60, 8.40+1.60, 8.41+1.59. Re-splitting 10.00 per
    # line would give 8.40+1.60 three times (tax 4.80, not 4.79): the void credits exactly
    # what each line carried instead, so net and tax both come back to zero.
    invoice = inclusive_invoice(["10.00"] * 3, "total")
    note = void_invoice(invoice=invoice, actor=None, reason="Wrong customer")
    credited = [(ln.amount, ln.tax_amount) for ln in note.lines.order_by("invoice_line__position")]
    assert credited == splits(invoice)
    assert (note.subtotal_amount, note.tax_amount, note.total_amount) == (
        D("25.21"),
        D("4.79"),
        D("30.00"),
    )


def test_a_partial_credit_of_a_tax_inclusive_invoice_splits_the_gross_credited():
    # 5.00 of the 30.00, spread by what each line has left (10/10/10): 1.67, 1.67, 1.66.
    # Per rate: 5.00 / 1.19 = 4.2016 -> net 4.20, tax 0.80; exact taxes 0.2666, 0.2666,
    # 0.2650: floors 0.26 each (0.78), 2 cents to the first two: 0.27, 0.27, 0.26.
    invoice = inclusive_invoice(["10.00"] * 3, "total")
    note = issue_credit_note(invoice=invoice, actor=None, reason="Goodwill", amount=D("5.00"))
    assert (note.subtotal_amount, note.tax_amount, note.total_amount) == (
        D("4.20"),
        D("0.80"),
        D("5.00"),
    )
    # The rest of the first line, by line, typed as the gross it has left (a tax-inclusive
    # invoice's line amounts are gross): 10.00 - 1.67 = 8.33 gives back exactly its net
    # left 8.40 - 1.40 = 7.00 and tax left 1.60 - 0.27 = 1.33, so the line ends at zero.
    first = invoice.lines.order_by("position").first()
    rest = issue_credit_note(
        invoice=invoice,
        actor=None,
        reason="Line cancelled",
        lines=[CreditLineInput(first, D("8.33"))],
    )
    assert (rest.subtotal_amount, rest.tax_amount) == (D("7.00"), D("1.33"))
    assert CreditNote.objects.filter(invoice=invoice).count() == 2


# --- Where it shows -------------------------------------------------------------------------


def test_the_invoice_page_says_prices_include_tax_and_explains_the_split(client, finance):
    from django.urls import reverse

    invoice = inclusive_invoice(["10.00"] * 3, "total")
    client.force_login(finance)
    page = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="tax-inclusive-note"' in page
    assert "per rate, shared by largest remainder" in page
    # The third line's "why this amount": gross 10.00 at 19 %, the rule, net 8.41, tax 1.59.
    assert "Tax included" in page
    assert "net €8.41, tax €1.59" in page


def test_the_pdf_says_prices_include_vat_and_totals_the_gross(settings, tmp_path):
    from io import BytesIO

    from pypdf import PdfReader

    from billing.documents.pdf import invoice_pdf_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    invoice = inclusive_invoice(["10.00"] * 3, "line")
    reader = PdfReader(BytesIO(invoice_pdf_bytes(invoice)))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Prices include VAT" in text
    assert "incl. tax" in text
    assert "€30.00" in text and "€25.20" in text and "€4.80" in text


def test_splitting_again_lines_already_split_keeps_each_lines_gross_and_split():
    # Usage billing re-taxes a drafted invoice after adding its tier lines: a line already
    # split (8.40 + 1.60) has gross 10.00 again, and a new line (tax 0) is all gross.
    from billing.models import InvoiceLine
    from billing.services.tax import apply_line_taxes

    lines = [InvoiceLine(amount=D("10.00")), InvoiceLine(amount=D("10.00"))]
    split_once = dict(percent=D(19), currency="EUR", mode="total", prices_include_tax=True)
    apply_line_taxes(lines=lines, **split_once)
    first = [(ln.amount, ln.tax_amount) for ln in lines]
    assert first == [(D("8.40"), D("1.60")), (D("8.41"), D("1.59"))]
    lines.append(InvoiceLine(amount=D("10.00")))
    apply_line_taxes(lines=lines, **split_once)
    # Now 30.00 over three lines: 8.40+1.60, 8.40+1.60, 8.41+1.59 (as the run would make).
    assert [(ln.amount, ln.tax_amount) for ln in lines] == [
        (D("8.40"), D("1.60")),
        (D("8.40"), D("1.60")),
        (D("8.41"), D("1.59")),
    ]
    assert sum(ln.amount + ln.tax_amount for ln in lines) == D("30.00")
