"""AR aging as of a date: worked examples, basis, edges, credits column, currencies."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import Invoice
from billing.services import discard_draft_invoice, void_invoice
from collections_app.reports.aging import (
    AgingParams,
    ar_aging,
    bucket_index,
    buckets_for,
    parse_edges,
)
from collections_app.reports.aging_documents import (
    aging_documents,
)
from core.errors import DomainValidationError
from tests.collections.test_aging_book import (
    apply,
    fx,
    issued_invoice,
    later_events,
    payment,
    refund,
    worked_example_book,
)
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
D = Decimal
MARCH_31 = date(2026, 3, 31)
APRIL_30 = date(2026, 4, 30)


def figures(report, currency="USD"):
    """(buckets, unapplied credits, net total) of the only customer in `currency`."""
    (table,) = [t for t in report.currencies if t.currency == currency]
    (row,) = table.rows
    return row.buckets, row.unapplied_credits, row.net_total


def test_worked_example_as_of_31_march_2026():
    """The book of test_aging_book.worked_example_book, as of 2026-03-31, by due date,
    buckets Current, 1-30, 31-60, 61-90, 91-120, over 120:

    1. A: 1,000.00 - 600.00 applied 02-20 = 400.00 open; due 02-04, so
       days = 03-31 - 02-04 = 24 (rest of Feb) + 31 = 55 -> 31-60.
    2. B: 2,000.00 - credit note 300.00 dated 03-01 = 1,700.00; due 03-12,
       19 days -> 1-30.
    3. C: 500.00; due 04-04, not yet due -> Current.
    4. D: 3,000.00 - 1,000.00 applied 03-05 = 2,000.00 (the reversal of 04-10 does not
       count yet); due 2025-10-31: Nov 30 + Dec 31 + Jan 31 + Feb 28 + Mar 31 = 151 days
       -> over 120.
    5. Unapplied credits: P1 1,500.00 - 600.00 = 900.00; P2 fully applied -> -900.00.

    Buckets 500 | 1,700 | 400 | 0 | 0 | 2,000 = 4,600.00 open; net 4,600 - 900 = 3,700.00.
    """
    worked_example_book()
    buckets, credits, net = figures(ar_aging(AgingParams(as_of=MARCH_31)))
    assert buckets == [D("500"), D("1700"), D("400"), D("0"), D("0"), D("2000")]
    assert credits == D("-900.00")
    assert net == D("3700.00")


def test_worked_example_as_of_30_april_2026_after_the_later_events():
    """The same book after later_events (reversal 04-10, P3 04-15, credit note 04-20),
    as of 2026-04-30:

    1. A: still 400.00; 55 + 30 = 85 days -> 61-90.
    2. B: 2,000 - 300 - 1,700 (P3, 04-15) = 0 -> not shown.
    3. C: 500 - 100 (credit note 04-20) = 400.00; due 04-04, 26 days -> 1-30.
    4. D: 3,000 - 1,000 + 1,000 (the reversal row is -1,000 applied) = 3,000.00;
       151 + 30 = 181 days -> over 120.
    5. Unapplied: P1 900 + P2 1,000 (its application reversed) + P3 300 = 2,200.00.

    Buckets 0 | 400 | 0 | 400 | 0 | 3,000 = 3,800.00 open; net 3,800 - 2,200 = 1,600.00.
    """
    book = worked_example_book()
    later_events(book)
    buckets, credits, net = figures(ar_aging(AgingParams(as_of=APRIL_30)))
    assert buckets == [D("0"), D("400"), D("0"), D("400"), D("0"), D("3000")]
    assert credits == D("-2200.00")
    assert net == D("1600.00")


def test_the_report_for_a_past_date_is_unchanged_by_later_payments_reversals_and_credits():
    """Run as of 03-31, book the April events, run as of 03-31 again: identical rows,
    documents and totals (the "Report Date" method, research 5.4)."""
    book = worked_example_book()
    params = AgingParams(as_of=MARCH_31)
    before = ar_aging(params)
    documents_before = aging_documents(params)
    later_events(book)
    after = ar_aging(params)
    assert [(r.buckets, r.unapplied_credits) for t in after.currencies for r in t.rows] == [
        (r.buckets, r.unapplied_credits) for t in before.currencies for r in t.rows
    ]
    assert aging_documents(params) == documents_before
    # ... while today's figures did move.
    assert figures(ar_aging(AgingParams(as_of=APRIL_30)))[2] != figures(before)[2]


def test_the_drill_down_documents_add_up_to_the_customer_row():
    book = worked_example_book()
    later_events(book)
    params = AgingParams(as_of=APRIL_30)
    documents = aging_documents(params, account_id=book.account.pk)
    by_bucket = [D(0)] * 6
    for doc in documents:
        if doc.kind == "invoice":
            by_bucket[doc.bucket] += doc.open_amount
    buckets, credits, _ = figures(ar_aging(params))
    assert by_bucket == buckets
    assert sum(d.open_amount for d in documents if d.kind == "payment") == credits
    assert [(d.reference, d.days) for d in documents if d.kind == "invoice"] == [
        (book.d.number, 181),
        (book.a.number, 85),
        (book.c.number, 26),
    ]


def test_invoice_date_basis_ages_from_the_invoice_date():
    """As of 03-31 by invoice date: D 2025-10-01 -> 181 days (over 120), A 01-05 -> 85
    (61-90), B 02-10 -> 49 (31-60), C 03-20 -> 11 (1-30). Open amounts as by due date."""
    worked_example_book()
    buckets, credits, net = figures(ar_aging(AgingParams(as_of=MARCH_31, basis="invoice_date")))
    assert buckets == [D("0"), D("500"), D("1700"), D("400"), D("0"), D("2000")]
    assert (credits, net) == (D("-900.00"), D("3700.00"))


def test_custom_edges_make_custom_buckets():
    """Edges 15,45: Current, 1-15, 16-45, over 45. As of 03-31 by due date: C current
    500; B 19 days -> 16-45 1,700; A 55 and D 151 days -> over 45: 400 + 2,000."""
    worked_example_book()
    report = ar_aging(AgingParams(as_of=MARCH_31, edges="15,45"))
    assert [b.label for b in report.buckets] == ["Current", "1–15", "16–45", "Over 45"]
    buckets, _, net = figures(report)
    assert buckets == [D("500"), D("0"), D("1700"), D("2400")]
    assert net == D("3700.00")


def test_bucket_boundaries_follow_the_standard_arithmetic():
    """[AR-AGING-001] Due today is Current; 30 days is in 1-30; 31 days in 31-60."""
    edges = parse_edges(None)
    assert [bucket_index(d, edges) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121)] == [
        0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5,
    ]  # fmt: skip
    assert [b.label for b in buckets_for(edges)] == [
        "Current", "1–30", "31–60", "61–90", "91–120", "Over 120",
    ]  # fmt: skip


def test_bucket_boundaries_in_the_database_match_the_python_arithmetic():
    account = AccountFactory()
    as_of = date(2026, 6, 30)
    for days_past_due in (121, 120, 31, 30, 1, 0):  # issued in date order, as numbering needs
        due = date.fromordinal(as_of.toordinal() - days_past_due)
        issued_invoice(account, "100.00", due, net_days=0)
    buckets, _, _ = figures(ar_aging(AgingParams(as_of=as_of)))
    assert buckets == [D("100"), D("200"), D("100"), D("0"), D("100"), D("100")]


@pytest.mark.parametrize(
    ("edges", "code"),
    [("30,abc", "not_whole_days"), ("60,30", "not_increasing"), ("0,30", "edge_range"),
     ("30,30", "not_increasing"), (",".join(["1"] * 11), "edge_count")],
)  # fmt: skip
def test_bad_edges_are_refused_naming_the_field(edges, code):
    with pytest.raises(DomainValidationError) as err:
        AgingParams(as_of=MARCH_31, edges=edges)
    assert (err.value.field, err.value.code) == ("edges", code)


def test_unapplied_cash_less_refunds_is_its_own_column_and_net_total_is_the_ar_balance():
    """Invoice 1,000 open; payment 1,500 received 05-02, 1,000 applied, 200 refunded
    05-20: as of 05-10 credits are -500 (net 0 after the 1,000 applied); as of 05-31
    -300."""
    account = AccountFactory()
    invoice = issued_invoice(account, "1000.00", date(2026, 5, 1))
    issued_invoice(account, "250.00", date(2026, 5, 1))
    cash = payment(account, "1500.00", date(2026, 5, 2))
    apply(cash, invoice, "1000.00", date(2026, 5, 2))
    refund(cash, "200.00", date(2026, 5, 20))
    buckets, credits, net = figures(ar_aging(AgingParams(as_of=date(2026, 5, 10))))
    assert (sum(buckets), credits, net) == (D("250.00"), D("-500.00"), D("-250.00"))
    buckets, credits, net = figures(ar_aging(AgingParams(as_of=date(2026, 5, 31))))
    assert (sum(buckets), credits, net) == (D("250.00"), D("-300.00"), D("-50.00"))
    # Before the payment arrived, no credit at all.
    _, credits, _ = figures(ar_aging(AgingParams(as_of=date(2026, 5, 1))))
    assert credits == D("0")


def test_an_invoice_voided_after_the_as_of_date_is_still_open_on_it():
    account = AccountFactory()
    invoice = issued_invoice(account, "800.00", date(2026, 5, 1))
    with freeze_time("2026-06-10"):
        note = void_invoice(invoice=invoice, actor=None, reason="Duplicate")
    assert note.credit_date == date(2026, 6, 10)
    buckets, _, _ = figures(ar_aging(AgingParams(as_of=date(2026, 6, 9))))
    assert sum(buckets) == D("800.00")
    assert ar_aging(AgingParams(as_of=date(2026, 6, 10))).currencies == []


def test_drafts_discarded_drafts_and_future_documents_are_left_out():
    account = AccountFactory()
    issued_invoice(account, "100.00", date(2026, 5, 1))
    issued_invoice(account, "900.00", date(2026, 7, 1))  # after the as-of date
    draft = Invoice.objects.create(
        legal_entity=Invoice.objects.first().legal_entity,
        account=account,
        currency="USD",
        invoice_date=date(2026, 5, 2),
        due_date=date(2026, 6, 1),
        payment_terms="NET30",
        buyer_name="x",
        total_amount=D("50.00"),
    )
    Invoice.objects.create(
        legal_entity=draft.legal_entity, account=account, currency="USD",
        invoice_date=date(2026, 5, 2), due_date=date(2026, 6, 1), payment_terms="NET30",
        buyer_name="x", total_amount=D("70.00"),
    )  # fmt: skip
    discard_draft_invoice(invoice=draft, actor=None)
    buckets, _, _ = figures(ar_aging(AgingParams(as_of=date(2026, 6, 30))))
    assert sum(buckets) == D("100.00")


def test_each_currency_is_aged_apart_and_totalled_at_the_as_of_rate():
    """USD 1,000.00, EUR 1,000.00 and JPY 100,000, all current, as of 03-31.
    EUR->USD 1.10 dated 03-01 (1.20 dated 04-15 is after the as-of date and ignored);
    JPY->USD 0.0067 dated 03-31. USD total: 1,000.00 + 1,100.00 + 670.00 = 2,770.00,
    and the report names the rates used."""
    usd, eur, jpy = AccountFactory(), AccountFactory(), AccountFactory()
    issued_invoice(usd, "1000.00", date(2026, 3, 20))
    issued_invoice(eur, "1000.00", date(2026, 3, 20), currency="EUR")
    issued_invoice(jpy, "100000", date(2026, 3, 20), currency="JPY")
    fx("EUR", "1.10", date(2026, 3, 1))
    fx("EUR", "1.20", date(2026, 4, 15))
    fx("JPY", "0.0067", date(2026, 3, 31))
    report = ar_aging(AgingParams(as_of=MARCH_31))
    assert [t.currency for t in report.currencies] == ["EUR", "JPY", "USD"]
    assert [t.open_total for t in report.currencies] == [D("1000"), D("100000"), D("1000")]
    assert report.reporting.currency == "USD"
    assert report.reporting.buckets[0] == D("2770.00")
    assert report.reporting.net_total == D("2770.00")
    assert [str(r) for r in report.reporting.rates] == [
        "1 EUR = 1.1 USD (rate of 2026-03-01)",
        "1 JPY = 0.0067 USD (rate of 2026-03-31)",
        "USD is the reporting currency",
    ]
    later = ar_aging(AgingParams(as_of=date(2026, 4, 30)))
    assert later.reporting.buckets[1] == D("1000") + D("1200.00") + D("670.00")


def test_a_missing_rate_gives_a_message_and_no_reporting_total_never_one_to_one():
    issued_invoice(AccountFactory(), "1000.00", date(2026, 3, 20))
    issued_invoice(AccountFactory(), "500.00", date(2026, 3, 20), currency="GBP")
    fx("GBP", "1.27", date(2026, 4, 1))  # only after the as-of date
    report = ar_aging(AgingParams(as_of=MARCH_31))
    assert report.reporting is None
    assert report.missing_rates == ["GBP"]
    assert "No USD rate for GBP dated on or before 2026-03-31" in report.missing_rate_message
    assert [t.open_total for t in report.currencies] == [D("500.00"), D("1000.00")]


def test_the_currency_filter_and_another_reporting_currency():
    eur = AccountFactory()
    issued_invoice(eur, "1000.00", date(2026, 3, 20), currency="EUR")
    issued_invoice(AccountFactory(), "1000.00", date(2026, 3, 20))
    report = ar_aging(AgingParams(as_of=MARCH_31, currency="EUR", reporting_currency="EUR"))
    assert [t.currency for t in report.currencies] == ["EUR"]
    assert report.reporting.net_total == D("1000.00")
    assert report.reporting.rates[0].rate_date is None
