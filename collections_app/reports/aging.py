"""AR aging as of any date (research/accounting-conventions.md sections 5 and 9.4).

What counts as of a date D (the "Report Date" method, section 5.4):

- an invoice counts if it is issued (or voided later) and dated on or before D;
- a credit note (the void of an invoice is one too), a payment application and an
  application of credit on account (a reversal is a negative application) reduce it only
  if dated on or before D; a credit note reduces its own invoice by the part that
  invoice still owed when it was issued, the rest is credit on account;
- open amount as of D = total - credit dated <= D - applications dated <= D.

So the report for a past date gives the same figures whatever was booked afterwards.

Unapplied cash and credit are shown in their own "Unapplied credits" column (section
5.3): payments received <= D and credit notes' credit on account dated <= D, less their
applications dated <= D and refunds dated <= D, as a negative amount, so that a
customer's net total equals its AR balance.

How it is computed: each invoice's open amount as of the date is what its maintained
settlement columns say today plus back what was dated after the date. On PostgreSQL each
customer's open invoices per currency are also summed in the database
(billing.models.AccountOpenBalance, kept by triggers): the oldest bucket is that sum less
the open invoices read one by one from the recent range the other buckets cover (an index
range), and the movements dated after the date are added back to their invoices'
buckets (billing.selectors.ar_as_of.OPEN_PARTS_FROM_BALANCES_SQL). The SQLite demo sums
every invoice (INVOICE_OPEN_PARTS_AS_OF_SQL); both give the same figures. Unapplied cash
and credit work the same way: each customer's maintained unapplied amount less what
documents dated after the date have left, plus back what was applied or refunded after it
(UNAPPLIED_FROM_BALANCES_SQL; the demo: UNAPPLIED_AS_OF_SQL). A date with movements
booked after it reads each customer's monthly movements instead (aging_window: one month
of movements and the recent buckets' invoices row by row, not all that came later). Every
path gives the same figures.

Rows, totals and pages are made in the same statement (REPORT_SQL): the customers with a
figure, their totals per currency and bucket, and the rows of one page in the report's
order with their names (aging_page; aging_totals for the totals alone; ar_aging for every
row, which exports and statements need). Python builds only the rows it shows. The home
page, which needs no count of customers, sums each currency straight from the documents
(aging_figures.currency_totals_sql; the buckets are sums, so the figures are the same).

Currencies are never added together: each document is aged in its own currency, one
table per currency; a total in the reporting currency converts each currency's totals
at the latest rate dated on or before D (decision 9.4) and names the rates used. A
missing rate leaves the reporting total out with a message, never a silent 1:1.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from billing.revenue.selectors.paged import Paging
from billing.selectors.ar_as_of import sql_amount, tune_report_transaction
from ordermgmt.models import Account

from .aging_figures import (
    _from_monthly_movements,
    _unapplied,
    aging_figures,
    currency_totals_sql,
    figures_sql,
    open_by_bucket,
)
from .aging_report import (
    DEFAULT_EDGES,
    MAX_EDGE_DAYS,
    MAX_EDGES,
    ZERO,
    AgingBasis,
    AgingParams,
    AgingReport,
    AgingRow,
    Bucket,
    CurrencyAging,
    RateUsed,
    ReportingTotal,
    bucket_index,
    buckets_for,
    convert,
    fx_rates_as_of,
    parse_edges,
    rates_text,
    reporting_currency_default,
    reporting_total,
)

__all__ = [
    "_from_monthly_movements",
    "_unapplied",
    "DEFAULT_EDGES",
    "MAX_EDGES",
    "MAX_EDGE_DAYS",
    "AgingBasis",
    "AgingPage",
    "AgingParams",
    "AgingReport",
    "AgingRow",
    "AgingSort",
    "Bucket",
    "CurrencyAging",
    "RateUsed",
    "ReportingTotal",
    "aging_figures",
    "figures_sql",
    "fx_rates_as_of",
    "aging_page",
    "aging_totals",
    "ar_aging",
    "bucket_index",
    "buckets_for",
    "convert",
    "open_by_bucket",
    "parse_edges",
    "rates_text",
    "reporting_currency_default",
    "reporting_total",
]


class AgingSort:
    """The orders of the customer rows within a currency (the currencies come in code
    order): by name, by net balance or by overdue amount, largest first, ties by name."""

    NAME = "name"
    NET = "net"
    OVERDUE = "overdue"
    VALUES = (NAME, NET, OVERDUE)


# The customers with a figure (a row of zeros is left out), their count and totals per
# currency (part 0), and the rows of one page in the report's order with their names
# (part 1), in one statement over {figures} (figures_sql). The page is sorted on its own
# (a top-N sort of offset + limit rows), then the few rows of the answer again.
REPORT_SQL = """
WITH figures(account_id, currency, {buckets}, unapplied) AS ({figures}),
customers AS (
  SELECT * FROM (
    SELECT account_id, currency, {amounts}, {credits} AS credits FROM figures
  ) amounts
  WHERE {nonzero}
),
answer AS (
  SELECT 0 AS part, currency, count(*) AS customers, NULL AS account_id, NULL AS name,
         NULL AS amount_key, NULL AS name_key, {sums}, sum(credits) AS credits
  FROM customers GROUP BY currency
  {page}
)
SELECT * FROM answer ORDER BY part, {order}"""
PAGE_SQL = """UNION ALL
  SELECT * FROM (
    SELECT 1, currency, 0, account_id, a.legal_name, {amount_key}, lower(a.legal_name),
           {buckets}, credits
    FROM customers c JOIN {accounts} a ON a.id = c.account_id
    {top}
  ) page"""


def _order(amount_key: str | None, name_key: str, postgresql: bool) -> str:
    """The rows' order within a currency: by `amount_key` largest first (if any), then
    by name as Python sorts strings (by code point), case aside, then by account."""
    first = f"{amount_key} DESC, " if amount_key else ""
    collation = ' COLLATE "C"' if postgresql else ""
    return f"currency, {first}{name_key}{collation}, account_id"


def _report_sql(figures: str, bucket_count: int, sort: str, limit: int | None) -> str:
    """REPORT_SQL over `figures`; `limit`: rows of the page (None: every row, 0: none,
    the totals alone), from the row %(row_offset)s."""
    buckets = [f"b{i}" for i in range(bucket_count)]
    postgresql = connection.vendor == "postgresql"

    def amount(column: str) -> str:
        # The SQLite demo adds its decimals as floats: round to the 4 places they are
        # stored with, so that a customer whose figures cancel out is a row of zeros.
        return column if postgresql else f"round({column}, 4)"

    amount_key = {
        AgingSort.NAME: None,
        AgingSort.NET: f"({' + '.join(buckets)} + credits)",
        AgingSort.OVERDUE: f"({' + '.join(buckets[1:])})",
    }[sort]
    page = ""
    if limit != 0:
        top = ""
        if limit is not None:  # every row (None) is sorted once, by the answer's ORDER BY
            order = _order(amount_key, "lower(a.legal_name)", postgresql)
            top = f"ORDER BY {order} LIMIT %(row_limit)s OFFSET %(row_offset)s"
        page = PAGE_SQL.format(
            amount_key=f"{amount_key or 0} AS amount_key",
            buckets=", ".join(buckets),
            accounts=Account._meta.db_table,
            top=top,
        )
    return REPORT_SQL.format(
        buckets=", ".join(buckets),
        figures=figures,
        amounts=", ".join(f"{amount(b)} AS {b}" for b in buckets),
        credits=amount("-unapplied"),
        nonzero=" OR ".join(f"{column} <> 0" for column in [*buckets, "credits"]),
        sums=", ".join(f"sum({b})" for b in buckets),
        page=page,
        order=_order(amount_key and "amount_key", "name_key", postgresql),
    )


def _aging_report(
    params: AgingParams,
    *,
    account_id: int | None = None,
    every_invoice: bool = False,
    sort: str = AgingSort.NAME,
    limit: int | None = None,
    offset: int = 0,
) -> AgingReport:
    """The report with every currency's count and totals and the customer rows from
    `offset` (at most `limit`; None: all) in the order `sort`."""
    n = len(params.edges) + 2
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        figures, values = figures_sql(cursor, params, account_id, every_invoice=every_invoice)
        cursor.execute(
            _report_sql(figures, n, sort, limit),
            values | {"row_limit": limit, "row_offset": offset},
        )
        fetched = cursor.fetchall()
    if connection.vendor != "postgresql":  # numeric arrives as Decimal on PostgreSQL
        fetched = [(*row[:7], *(sql_amount(v) for v in row[7:])) for row in fetched]
    # Columns: part, currency, customers, account_id, name, two sort keys, the buckets,
    # credits; the totals first, then the page's rows in order.
    currencies = {
        row[1]: CurrencyAging(row[1], [], list(row[7:-1]), row[-1] or ZERO, row[2])
        for row in fetched
        if row[0] == 0
    }
    for row in fetched:
        if row[0] == 1:
            currencies[row[1]].rows.append(
                AgingRow(row[3], row[4], row[1], list(row[7:-1]), row[-1] or ZERO)
            )
    tables = list(currencies.values())
    reporting, missing = reporting_total(
        tables, params.reporting_currency, params.as_of, bucket_count=n
    )
    return AgingReport(params, params.buckets, tables, reporting, missing)


def ar_aging(
    params: AgingParams, *, account_id: int | None = None, every_invoice: bool = False
) -> AgingReport:
    """The aging as of params.as_of: per currency, every customer (by name), per bucket.
    What counts as of the date is billing's one rule (billing.selectors.ar_as_of);
    `every_invoice`: see open_by_bucket. For exports, statements and one customer; a
    page shows aging_page."""
    return _aging_report(params, account_id=account_id, every_invoice=every_invoice)


def aging_totals(params: AgingParams, *, count_customers: bool = True) -> AgingReport:
    """The aging's totals alone: per currency (with its count of customers) and in the
    reporting currency; no customer rows. `count_customers=False` (the home page):
    where the date allows it (nothing booked after it), each currency summed straight
    from its documents, without a figure per customer; customer_count is then 0."""
    if not count_customers:
        with transaction.atomic(), connection.cursor() as cursor:
            tune_report_transaction(cursor)
            found = currency_totals_sql(cursor, params)
            if found is not None:
                cursor.execute(*found)
                fetched = cursor.fetchall()
        if found is not None:
            return _totals_report(params, fetched)
    return _aging_report(params, limit=0)


def _totals_report(params: AgingParams, fetched: list[tuple]) -> AgingReport:
    """From rows (currency, one amount per bucket, unapplied): a currency with every
    figure zero has no table, as in the report of customer rows."""
    n = len(params.edges) + 2
    tables = []
    for row in sorted(fetched):
        amounts = [sql_amount(v) for v in row[1:]]
        if any(amounts):
            tables.append(CurrencyAging(row[0], [], amounts[:n], -amounts[n] or ZERO, 0))
    reporting, missing = reporting_total(
        tables, params.reporting_currency, params.as_of, bucket_count=n
    )
    return AgingReport(params, params.buckets, tables, reporting, missing)


@dataclass
class AgingPage:
    report: AgingReport  # every currency's totals; the rows of this page only
    paging: Paging


def aging_page(
    params: AgingParams, *, page: int = 1, page_size: int = 100, sort: str = AgingSort.NAME
) -> AgingPage:
    """One page of the customer rows, numbered across currencies in the report's order
    (currency, then `sort`), with every currency's totals over all its customers. A page
    past the end has no rows."""
    if sort not in AgingSort.VALUES:
        sort = AgingSort.NAME
    page, page_size = max(page, 1), max(page_size, 1)
    # Any page past the end has no rows; a huge page number must not overflow OFFSET.
    offset = min((page - 1) * page_size, 2**31)
    report = _aging_report(params, sort=sort, limit=page_size, offset=offset)
    return AgingPage(report, Paging(page, page_size, report.row_count))
