"""The worklist's ranking in SQL: overdue accounts as of a date, one page at a time.

The overdue balance of an account is the aging's (due-date basis): each invoice's open
amount as of the date by billing's one as-of rule (billing.selectors.ar_as_of), summed
per currency over the invoices due before the date. When nothing that counts moved after
the date (today, usually), those sums come from each customer's maintained open balance
(billing.models.AccountOpenBalance) less its open invoices not yet due, so the ranking
reads one row per customer. Otherwise a page comes from the customers' monthly movements
(collections_app.selectors.worklist_window: amounts by account, then the invoices of the
page's accounts only); the SQLite demo, and the whole list at once, make one pass over
the invoices. The database groups
and sorts the accounts (by the balance converted to the reporting currency, then the
oldest due date, then the name) with the same SQL on PostgreSQL and on the SQLite demo;
Python receives only the page asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from billing.models import FxRate
from billing.selectors.ar_as_of import (
    INVOICE_OPEN_AS_OF_SQL,
    MOVED_AFTER_SQL,
    OPEN_INVOICE,
    reads_open_balances,
    sql_amount,
    sql_date,
    tune_report_transaction,
)
from billing.selectors.fx import fx_rates_as_of, reporting_currency
from collections_app.models import (
    AccountDunning,
    ActivityKind,
    ActivityStatus,
    CollectionActivity,
)

from .dunning import PromiseOutcome, open_invoices, promise_statuses
from .worklist_window import page_candidates

WORKLIST_PAGE_SIZE = 50
WORKLIST_MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class RankedAccount:
    """One account's overdue figures as the ranking query returns them."""

    account_id: int
    ranking_amount: Decimal
    oldest_due_date: date
    overdue_invoices: int
    overdue: list[tuple[str, Decimal]]  # (currency, open amount), by currency
    unranked_currencies: list[str]


def ranking_rates(as_of: date) -> dict[str, Decimal]:
    """{currency: rate into the reporting currency} for every currency that has a rate on
    or before as_of (and the reporting currency itself); the others are not ranked."""
    target = reporting_currency()
    codes = set(
        FxRate.objects.filter(reporting_currency=target, rate_date__lte=as_of)
        .values_list("currency", flat=True)
        .distinct()
    )
    rates, _missing = fx_rates_as_of(codes | {target}, target, as_of)
    return {code: used.rate for code, used in rates.items()}


def broken_promise_accounts(as_of: date) -> list[int]:
    """Accounts with an open promise broken by as_of on an invoice still open: only open
    promises whose date has passed can be broken, so this reads those, not the book."""
    promises = list(
        CollectionActivity.objects.filter(
            kind=ActivityKind.PROMISE, status=ActivityStatus.OPEN, promised_date__lt=as_of
        )
    )
    statuses = promise_statuses(promises, as_of=as_of)
    broken = [p for p in promises if statuses[p.pk].outcome == PromiseOutcome.BROKEN]
    still_open = set(
        open_invoices().filter(pk__in={p.invoice_id for p in broken}).values_list("pk", flat=True)
    )
    return sorted({p.account_id for p in broken if p.invoice_id in still_open})


def _show_condition(show: str, as_of: date) -> tuple[str, dict]:
    """The SQL condition (on `o.account_id`) that a worklist filter stands for."""
    activity = CollectionActivity._meta.db_table
    if show in {"calls", "disputes"}:
        kind = ActivityKind.CALL if show == "calls" else ActivityKind.DISPUTE
        return (
            f"EXISTS (SELECT 1 FROM {activity} c WHERE c.account_id = o.account_id"
            " AND c.kind = %(kind)s AND c.status = %(open)s)",
            {"kind": kind, "open": ActivityStatus.OPEN},
        )
    if show == "paused":
        dunning = AccountDunning._meta.db_table
        return (
            f"EXISTS (SELECT 1 FROM {dunning} d WHERE d.account_id = o.account_id AND d.paused)",
            {},
        )
    if show == "broken":
        # Ids from our own table, written as integers: an IN list both databases read.
        ids = ",".join(str(int(pk)) for pk in broken_promise_accounts(as_of))
        return f"o.account_id IN ({ids or 'NULL'})", {}
    return "true", {}


# Per (account, currency) with anything overdue as of %(as_of)s: the open amount of the
# invoices due before the date, the oldest due date, how many. Each invoice at its open
# amount as of the date (billing's rule), one pass over the book.
OVERDUE_FROM_INVOICES_SQL = f"""
SELECT account_id, currency, sum(open_amount) AS total, min(due_date) AS oldest,
       count(*) AS invoices
FROM ({INVOICE_OPEN_AS_OF_SQL}) open_documents
WHERE due_date < %(as_of)s AND open_amount > 0
GROUP BY account_id, currency
"""

# The same figures from each customer's maintained open balance when nothing that counts
# moved after the date (MOVED_AFTER_SQL), as for today: each invoice's open amount then is
# today's, so the overdue part is the balance less its open invoices not yet due (an
# index range of the recent due dates). Its oldest open invoice is overdue whenever any
# is. Same columns.
OVERDUE_FROM_BALANCES_SQL = f"""
SELECT b.account_id, b.currency, b.open_amount - coalesce(r.amount, 0) AS total,
       b.oldest_due_date AS oldest, b.open_invoices - coalesce(r.invoices, 0) AS invoices
FROM billing_accountopenbalance b
LEFT JOIN (
  SELECT i.account_id, i.currency,
         sum(i.total_amount - i.credited_amount - i.paid_amount) AS amount, count(*) AS invoices
  FROM billing_invoice i WHERE {OPEN_INVOICE} AND i.due_date >= %(as_of)s
  GROUP BY i.account_id, i.currency
) r ON r.account_id = b.account_id AND r.currency = b.currency
WHERE b.open_invoices - coalesce(r.invoices, 0) > 0
"""


def overdue_per_currency_sql(cursor, as_of: date, every_invoice: bool = False) -> str:
    """The overdue figures' SQL for the date: from the maintained balances where they
    give the same figures (PostgreSQL, nothing moved after the date), else one pass
    (always with `every_invoice`, for the benchmark that compares the two; a page of
    ranked_accounts then reads only its accounts' invoices)."""
    if reads_open_balances(cursor) and not every_invoice:
        cursor.execute(MOVED_AFTER_SQL, {"as_of": as_of})
        if not cursor.fetchone()[0]:
            return OVERDUE_FROM_BALANCES_SQL
    return OVERDUE_FROM_INVOICES_SQL


# One ranking for PostgreSQL and the SQLite demo (no arrays, so one row per currency of
# each account on the page). The rates come in as a VALUES list; a currency without one
# adds nothing to the ranking and is named as unranked.
RANKING_SQL = """
WITH per_currency AS ({per_currency}), rates (currency, rate) AS (VALUES {rates}), overdue AS (
  SELECT p.account_id, coalesce(sum(p.total * r.rate), 0) AS ranking,
         min(p.oldest) AS oldest, sum(p.invoices) AS invoices
  FROM per_currency p LEFT JOIN rates r ON r.currency = p.currency
  GROUP BY p.account_id
), page AS (
  SELECT o.account_id, o.ranking, o.oldest, o.invoices, a.legal_name,
         count(*) OVER () AS matching
  FROM overdue o JOIN ordermgmt_account a ON a.id = o.account_id
  WHERE {show}
  ORDER BY o.ranking DESC, o.oldest, a.legal_name, o.account_id
  LIMIT %(limit)s OFFSET %(offset)s
)
SELECT page.account_id, page.ranking, page.oldest, page.invoices, page.matching,
       p.currency, p.total, r.rate IS NULL
FROM page JOIN per_currency p ON p.account_id = page.account_id
LEFT JOIN rates r ON r.currency = p.currency
ORDER BY page.ranking DESC, page.oldest, page.legal_name, page.account_id, p.currency
"""


def _rates_values(rates: dict[str, Decimal]) -> tuple[str, dict]:
    """A VALUES list of the rates (at least one row: SQL has no empty VALUES)."""
    rows = rates or {"": Decimal(0)}
    values = ", ".join(
        f"(CAST(%(rate_code_{i})s AS TEXT), CAST(%(rate_{i})s AS NUMERIC))"
        for i in range(len(rows))
    )
    params = {}
    for i, (code, rate) in enumerate(rows.items()):
        params |= {f"rate_code_{i}": code, f"rate_{i}": rate}
    return values, params


def ranked_accounts(
    *,
    as_of: date,
    show: str = "",
    offset: int = 0,
    limit: int | None = None,
    every_invoice: bool = False,
) -> tuple[list[RankedAccount], int | None]:
    """One slice of the overdue accounts in worklist order, and how many accounts match
    in all (None when the slice is past the end: no row carried the count)."""
    condition, params = _show_condition(show, as_of)
    values, rate_params = _rates_values(ranking_rates(as_of))
    # LIMIT -1 is SQLite's "no limit"; PostgreSQL reads LIMIT NULL as none.
    no_limit = None if connection.vendor == "postgresql" else -1
    params |= rate_params | {
        "as_of": as_of,
        "limit": no_limit if limit is None else limit,
        "offset": offset,
    }
    matching = None
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        per_currency = overdue_per_currency_sql(cursor, as_of, every_invoice)
        past_date = per_currency == OVERDUE_FROM_INVOICES_SQL and reads_open_balances(cursor)
        if past_date and not every_invoice and limit:
            # A past date: the page's accounts from the monthly movements, then only
            # their invoices one by one (collections_app.selectors.worklist_window).
            candidates = page_candidates(
                cursor, as_of=as_of, show=condition, rates=values, params=params,
                offset=offset, limit=limit,
            )  # fmt: skip
            if candidates is not None and not candidates.per_currency:
                return [], None
            if candidates is not None:
                per_currency, condition = candidates.per_currency, "true"
                params["offset"], matching = candidates.offset, candidates.matching
        sql = RANKING_SQL.format(per_currency=per_currency, show=condition, rates=values)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    accounts: list[RankedAccount] = []
    for account_id, ranking, oldest, invoices, _, code, total, unranked in rows:
        if not accounts or accounts[-1].account_id != account_id:
            accounts.append(
                RankedAccount(
                    account_id=account_id,
                    ranking_amount=sql_amount(ranking),
                    oldest_due_date=sql_date(oldest),
                    overdue_invoices=int(invoices),
                    overdue=[],
                    unranked_currencies=[],
                )
            )
        accounts[-1].overdue.append((code, sql_amount(total)))
        if unranked:
            accounts[-1].unranked_currencies.append(code)
    if matching is not None:
        return accounts, matching
    return accounts, (rows[0][4] if rows else None)


COUNTS_SQL = """
WITH per_currency AS ({per_currency}), o AS (SELECT DISTINCT account_id FROM per_currency)
SELECT {counts} FROM o
"""


def count_overdue_accounts(*, as_of: date, shows: list[str]) -> dict[str, int]:
    """{filter: how many overdue accounts it keeps} from one pass over the book (the home
    page's counts); "" counts every overdue account."""
    params: dict = {"as_of": as_of}
    counts = []
    for index, show in enumerate(shows):
        condition, extra = _show_condition(show, as_of)
        # Each filter's parameters under their own names: two may use the same key.
        for key, value in extra.items():
            condition = condition.replace(f"%({key})s", f"%({key}_{index})s")
            params[f"{key}_{index}"] = value
        counts.append(f"count(*) FILTER (WHERE {condition})")
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        sql = COUNTS_SQL.format(
            per_currency=overdue_per_currency_sql(cursor, as_of), counts=", ".join(counts)
        )
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(shows, row, strict=True))
