"""The worklist at scale: its overdue figures are the aging's for the same date, it comes
a page at a time, and a past date's figures do not move with later bookings; the aging
API pages its customer rows and can answer with the summary alone."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import FxRate, Invoice
from billing.services import issue_credit_note, reverse_application
from billing.writeoffs.services import request_write_off
from collections_app.reports.aging import AgingParams, ar_aging
from collections_app.selectors import worklist, worklist_page
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    pay,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

TODAY = date(2026, 6, 15)
WORKLIST_API = "/api/v1/collections/worklist/"
AGING_API = "/api/v1/reports/ar-aging/"


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def mixed_book() -> dict:
    """Partial payments, a credit note, a reversed payment, a write-off, three currencies
    (JPY without a rate), an invoice not yet due and one paid in full."""
    finance = UserFactory(role=roles.FINANCE)
    usd = customer("Usd partial")
    partly_paid = issued_invoice(due=days_ago(40), account=usd, total="1000.00")
    pay(partly_paid, "400.00", on=days_ago(20))
    credited = issued_invoice(due=days_ago(10), account=usd, total="500.00")
    issue_credit_note(
        invoice=credited, actor=finance, reason="Discount", amount=Decimal("100.00"),
        credit_date=days_ago(5),
    )  # fmt: skip
    issued_invoice(due=TODAY + timedelta(days=5), account=usd, total="300.00")
    euro = customer("Euro reversed", default_currency="EUR")
    reversed_invoice = issued_invoice(
        due=days_ago(20), account=euro, total="2000.00", currency="EUR"
    )
    application = pay(reversed_invoice, "2000.00", on=days_ago(15))
    reverse_application(application=application, actor=finance, reason="Bounced")
    FxRate.objects.create(
        currency="EUR", reporting_currency="USD", rate_date=days_ago(30), rate=Decimal("1.10")
    )
    written = customer("Written off")
    small = issued_invoice(due=days_ago(60), account=written, total="800.00")
    request_write_off(
        invoice=small, amount=Decimal("50.00"), reason_code="bank_charges", actor=finance,
        write_off_date=days_ago(3),
    )  # fmt: skip
    pay(issued_invoice(due=days_ago(5), account=written, total="200.00"), "200.00", on=days_ago(2))
    yen = customer("Yen no rate")
    issued_invoice(due=days_ago(3), account=yen, total="100000", currency="JPY")
    return {"usd": usd, "euro": euro, "written": written, "yen": yen}


def aging_overdue(as_of: date) -> dict:
    report = ar_aging(AgingParams(as_of=as_of))
    return {
        (row.account_id, row.currency): row.overdue_total
        for table in report.currencies
        for row in table.rows
        if row.overdue_total
    }


def worklist_overdue(rows) -> dict:
    return {(r.account.pk, a.currency): a.amount for r in rows for a in r.overdue}


@freeze_time("2026-06-15 08:00:00")
def test_the_worklist_shows_the_agings_overdue_figures_in_ranking_order():
    book = mixed_book()
    rows = worklist(as_of=TODAY)

    assert worklist_overdue(rows) == aging_overdue(TODAY)
    assert [r.account for r in rows] == [book["euro"], book["usd"], book["written"], book["yen"]]
    assert [str(a) for a in rows[1].overdue] == ["$1,000.00"]  # 600 + 400 open
    assert (rows[0].ranking_amount, rows[2].ranking_amount) == (Decimal("2200"), Decimal("750"))
    assert (rows[1].overdue_invoices, rows[1].oldest_days_past_due) == (2, 40)
    assert rows[3].unranked_currencies == ["JPY"]


@freeze_time("2026-06-15 08:00:00")
def test_a_past_dates_worklist_and_aging_do_not_move_with_later_bookings():
    book = mixed_book()
    past = days_ago(4)
    before = (worklist_overdue(worklist(as_of=past)), aging_overdue(past))
    oldest = Invoice.objects.filter(account=book["usd"]).order_by("due_date").first()
    pay(oldest, "600.00", on=TODAY)  # settles it, dated after `past`

    after = (worklist_overdue(worklist(as_of=past)), aging_overdue(past))

    assert after == before
    assert before[0] == before[1]
    assert before[0][(book["usd"].pk, "USD")] == Decimal("1000.00")  # 600 + 400
    assert worklist_overdue(worklist(as_of=TODAY))[(book["usd"].pk, "USD")] == Decimal("400.00")


@freeze_time("2026-06-15 08:00:00")
def test_the_worklist_comes_a_page_at_a_time_in_one_order():
    book = mixed_book()
    everything = [r.account for r in worklist(as_of=TODAY)]

    first = worklist_page(as_of=TODAY, page=1, page_size=3)
    second = worklist_page(as_of=TODAY, page=2, page_size=3)
    past_the_end = worklist_page(as_of=TODAY, page=3, page_size=3)

    assert [r.account for r in first.rows + second.rows] == everything
    assert (first.count, first.num_pages, first.has_next, second.has_next) == (4, 2, True, False)
    assert (past_the_end.rows, past_the_end.count) == ([], 4)
    assert worklist_page(as_of=TODAY, page_size=10_000).page_size == 200
    assert book["yen"] == second.rows[0].account


@freeze_time("2026-06-15 08:00:00")
def test_the_worklist_api_pages_with_a_capped_page_size_and_refuses_a_bad_page(client):
    mixed_book()
    client.force_login(UserFactory(role=roles.FINANCE))

    one = client.get(WORKLIST_API, {"page_size": "1"}).json()
    fourth = client.get(WORKLIST_API, {"page_size": "1", "page": "4"}).json()
    capped = client.get(WORKLIST_API, {"page_size": "100000"}).json()
    bad = client.get(WORKLIST_API, {"page": "0"})

    assert (one["count"], len(one["results"]), one["previous"]) == (4, 1, None)
    assert "page=2" in one["next"]
    assert (fourth["next"], len(fourth["results"])) == (None, 1)
    assert (capped["count"], len(capped["results"]), capped["next"]) == (4, 4, None)
    assert (bad.status_code, bad.json()["field"], bad.json()["code"]) == (400, "page", "not_a_page")


@freeze_time("2026-06-15 08:00:00")
def test_the_aging_api_pages_customer_rows_and_gives_the_summary_alone(client):
    mixed_book()
    client.force_login(UserFactory(role=roles.FINANCE))
    full = client.get(AGING_API, {"as_of": "2026-06-15"}).json()
    all_rows = [(t["currency"], r["account_id"]) for t in full["currencies"] for r in t["rows"]]

    summary = client.get(AGING_API, {"as_of": "2026-06-15", "summary_only": "true"}).json()
    paged = [
        client.get(AGING_API, {"as_of": "2026-06-15", "page": n, "page_size": 2}).json()
        for n in (1, 2)
    ]

    assert (full["count"], len(all_rows), full["next"]) == (4, 4, None)
    assert all(t["rows"] == [] for t in summary["currencies"])
    assert [t["totals"] for t in summary["currencies"]] == [t["totals"] for t in full["currencies"]]
    assert summary["reporting_total"] == full["reporting_total"]
    assert [
        (t["currency"], r["account_id"]) for page in paged for t in page["currencies"]
        for r in t["rows"]
    ] == all_rows  # fmt: skip
    assert (paged[0]["count"], paged[1]["next"]) == (4, None)


@freeze_time("2026-06-15 08:00:00")
def test_one_ranking_pages_and_filters_the_agings_overdue_figures_in_order():
    # The same SQL ranks on PostgreSQL and on the SQLite demo. Each slice is the slice of
    # the whole ranking, each filter keeps the whole ranking's order, and the whole
    # ranking is the aging's overdue figures converted at the ranking rates.
    from collections_app.selectors.worklist_ranking import ranked_accounts, ranking_rates

    mixed_book()
    everyone, count = ranked_accounts(as_of=TODAY)
    assert count == len(everyone) == 4
    rates = ranking_rates(TODAY)
    expected = {}
    for (account_id, code), total in aging_overdue(TODAY).items():
        expected[account_id] = expected.get(account_id, Decimal(0)) + total * rates.get(
            code, Decimal(0)
        )
    assert {r.account_id: r.ranking_amount for r in everyone} == expected
    assert [r.ranking_amount for r in everyone] == sorted(expected.values(), reverse=True)
    overdue = {(r.account_id, code): total for r in everyone for code, total in r.overdue}
    assert overdue == aging_overdue(TODAY)
    order = [r.account_id for r in everyone]
    for show in ("", "broken", "calls", "disputes", "paused"):
        whole, _ = ranked_accounts(as_of=TODAY, show=show)
        ids = [r.account_id for r in whole]
        assert ids == [i for i in order if i in ids], show
        for offset, limit in ((0, 2), (2, 2), (4, 2)):
            page, _ = ranked_accounts(as_of=TODAY, show=show, offset=offset, limit=limit)
            assert page == whole[offset : offset + limit], (show, offset, limit)


@freeze_time("2026-06-15 08:00:00")
def test_the_overdue_figures_from_the_maintained_balances_equal_those_from_every_invoice():
    # Nothing in the book moves after TODAY, so the worklist reads the customers'
    # maintained open balances; the pass over every invoice gives the same rows.
    from django.db import connection

    from collections_app.selectors.worklist_ranking import (
        OVERDUE_FROM_BALANCES_SQL,
        OVERDUE_FROM_INVOICES_SQL,
        overdue_per_currency_sql,
    )

    if connection.vendor != "postgresql":
        pytest.skip("the balances are kept by PostgreSQL triggers")
    mixed_book()
    with connection.cursor() as cursor:
        assert overdue_per_currency_sql(cursor, TODAY) == OVERDUE_FROM_BALANCES_SQL
        assert overdue_per_currency_sql(cursor, days_ago(4)) == OVERDUE_FROM_INVOICES_SQL
        figures = []
        for sql in (OVERDUE_FROM_BALANCES_SQL, OVERDUE_FROM_INVOICES_SQL):
            cursor.execute(sql, {"as_of": TODAY})
            figures.append(sorted(cursor.fetchall()))
    assert figures[0] == figures[1]
    assert len(figures[0]) == 4
