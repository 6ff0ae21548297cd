"""Each customer's aging figures as of a date, per currency: the open invoices per bucket
and the unapplied cash and credit, by the path that reads least for the date (see the
docstring of collections_app.reports.aging). `figures_sql` gives them as one SQL
statement, which the report pages and totals in the database; the functions returning
dicts run the same SQL, for the tests and benchmark that compare the paths."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction

from billing.selectors.ar_as_of import (
    INVOICE_OPEN_PARTS_AS_OF_SQL,
    MOVED_AFTER_SQL,
    UNAPPLIED_AS_OF_SQL,
    UNAPPLIED_FROM_BALANCES_SQL,
    open_parts_sql,
    reads_open_balances,
    sql_amount,
    tune_report_transaction,
)

from .aging_report import AgingBasis, AgingParams
from .aging_window import aging_from_months, aging_from_months_sql


def _bucket_conditions(params: AgingParams) -> tuple[list[str], dict]:
    """One SQL condition per bucket on the basis date, as plain date comparisons: days
    past = as_of - basis date, so `days <= e` is `basis >= as_of - e`."""
    column = "due_date" if params.basis == AgingBasis.DUE_DATE else "invoice_date"
    d = params.as_of
    conditions, values = [f"{column} >= %(edge_0)s"], {"edge_0": d}
    low = 0
    for index, edge in enumerate(params.edges, start=1):
        conditions.append(f"{column} < %(low_{index})s AND {column} >= %(edge_{index})s")
        values |= {
            f"low_{index}": d - timedelta(days=low),
            f"edge_{index}": d - timedelta(days=edge),
        }
        low = edge
    conditions.append(f"{column} < %(last)s")
    values["last"] = d - timedelta(days=low)
    return conditions, values


def _filters(params: AgingParams, account_id: int | None) -> tuple[str, dict]:
    where, values = ["true"], {"as_of": params.as_of}
    if params.currency:
        where.append("currency = %(currency)s")
        values["currency"] = params.currency
    if account_id is not None:
        where.append("account_id = %(account_id)s")
        values["account_id"] = account_id
    return " AND ".join(where), values


PER_CUSTOMER = "account_id, currency"


def _open_sql(
    params: AgingParams, from_balances: bool, where: str, keys: str = PER_CUSTOMER
) -> str:
    """Columns `keys` (account_id, currency; or currency), one open amount per bucket;
    `where`: _filters."""
    conditions, _ = _bucket_conditions(params)
    if from_balances:
        return _from_open_balances_sql(params, conditions, where, keys)
    sums = ", ".join(f"coalesce(sum(open_amount) FILTER (WHERE {c}), 0)" for c in conditions)
    return (
        f"SELECT {keys}, {sums} FROM ({INVOICE_OPEN_PARTS_AS_OF_SQL}) o "
        f"WHERE {where} GROUP BY {keys}"
    )


def _from_open_balances_sql(
    params: AgingParams, conditions: list[str], where: str, keys: str = PER_CUSTOMER
) -> str:
    """The buckets from each customer's maintained open balance (billing.selectors.ar_as_of.
    OPEN_PARTS_FROM_BALANCES_SQL): the open invoices whose basis date falls in a bucket
    other than the oldest (or dated after the date) are read one by one, an index range
    of the recent dates; the oldest bucket is the rest of the customer's open balance."""
    if params.basis == AgingBasis.DUE_DATE:
        ranges = [
            "i.due_date >= %(last)s",
            "i.invoice_date > %(as_of)s AND i.due_date < %(last)s",
        ]
    else:
        ranges = ["i.invoice_date >= %(last)s"]
    counted = "part <> 'rest' AND invoice_date <= %(as_of)s"
    sums = [f"coalesce(sum(amount) FILTER (WHERE {counted} AND {c}), 0)" for c in conditions]
    sums[-1] = (
        "coalesce(sum(amount) FILTER (WHERE part = 'rest'), 0)"
        " - coalesce(sum(amount) FILTER (WHERE part = 'range'), 0) + " + sums[-1]
    )
    return (
        f"SELECT {keys}, {', '.join(sums)} FROM ({open_parts_sql(ranges)}) o "
        f"WHERE {where} GROUP BY {keys}"
    )


def _unapplied_sql(from_balances: bool, where: str) -> str:
    """Columns account_id, currency, unapplied cash and credit; `where`: _filters."""
    source = UNAPPLIED_FROM_BALANCES_SQL if from_balances else UNAPPLIED_AS_OF_SQL
    return f"SELECT * FROM ({source}) u WHERE {where}"


def open_by_bucket(
    params: AgingParams, account_id: int | None = None, *, every_invoice: bool = False
) -> dict[tuple, list[Decimal]]:
    """{(account_id, currency): [open invoices per bucket]}: the invoices that count as
    of the date, each at its open amount then (billing's rule). From the customers'
    maintained open balances on PostgreSQL; `every_invoice` (the SQLite demo, and the
    tests and benchmark that compare the two) sums every invoice one by one."""
    _, values = _bucket_conditions(params)
    where, more = _filters(params, account_id)
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        from_balances = reads_open_balances(cursor) and not every_invoice
        cursor.execute(_open_sql(params, from_balances, where), values | more)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":  # numeric arrives as Decimal: nothing to convert
        return {(row[0], row[1]): list(row[2:]) for row in rows}
    return {(row[0], row[1]): [sql_amount(v) for v in row[2:]] for row in rows}


def _unapplied(
    params: AgingParams, account_id: int | None, every_invoice: bool = False
) -> dict[tuple, Decimal]:
    """{(account_id, currency): unapplied cash and credit} as of the date (from the
    customers' maintained unapplied amounts on PostgreSQL; see open_by_bucket)."""
    where, values = _filters(params, account_id)
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        from_balances = reads_open_balances(cursor) and not every_invoice
        cursor.execute(_unapplied_sql(from_balances, where), values)
        return {(row[0], row[1]): sql_amount(row[2]) for row in cursor.fetchall()}


def _months_reading(cursor, params: AgingParams, account_id: int | None) -> dict | None:
    """The arguments of aging_window's reading when something that counts was booked
    after the date; None where the other paths read less (nothing moved after the date:
    today's balances are the date's) or the table is not kept (the SQLite demo)."""
    if not reads_open_balances(cursor):
        return None
    cursor.execute(MOVED_AFTER_SQL, {"as_of": params.as_of})
    if not cursor.fetchone()[0]:
        return None
    conditions, values = _bucket_conditions(params)
    where, more = _filters(params, account_id)
    return {
        "as_of": params.as_of,
        "basis": params.basis,
        "last_edge": params.edges[-1],
        "conditions": conditions,
        "values": values | more,
        "where": where,
    }


def _from_monthly_movements(
    params: AgingParams, account_id: int | None
) -> tuple[dict[tuple, list[Decimal]], dict[tuple, Decimal]] | None:
    """Buckets and unapplied amounts from the customers' monthly movements
    (collections_app.reports.aging_window); None: see _months_reading."""
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        reading = _months_reading(cursor, params, account_id)
        return None if reading is None else aging_from_months(cursor, **reading)


def aging_figures(
    params: AgingParams, account_id: int | None = None, *, every_invoice: bool = False
) -> tuple[dict[tuple, list[Decimal]], dict[tuple, Decimal]]:
    """({(account_id, currency): [open invoices per bucket]}, {(account_id, currency):
    unapplied cash and credit}) as of the date, by the path that reads least for it (a
    past date: the monthly movements; else the maintained balances; the SQLite demo and
    `every_invoice`: every invoice). Every path gives the same figures."""
    if not every_invoice:
        found = _from_monthly_movements(params, account_id)
        if found is not None:
            return found
    return (
        open_by_bucket(params, account_id, every_invoice=every_invoice),
        _unapplied(params, account_id, every_invoice),
    )


def figures_sql(
    cursor, params: AgingParams, account_id: int | None = None, *, every_invoice: bool = False
) -> tuple[str, dict]:
    """aging_figures as one SQL statement and its parameters, for the caller's cursor
    (inside its transaction: the paths set planner settings with SET LOCAL). Columns:
    account_id, currency, one open amount per bucket, unapplied cash and credit; one row
    per customer and currency, some possibly all zero."""
    reading = None if every_invoice else _months_reading(cursor, params, account_id)
    if reading is not None:
        return aging_from_months_sql(cursor, **reading)
    _, values = _bucket_conditions(params)
    where, more = _filters(params, account_id)
    from_balances = reads_open_balances(cursor) and not every_invoice
    n = len(params.edges) + 2
    buckets = [f"b{i}" for i in range(n)]
    # A customer may have open invoices, unapplied cash, or both: one row for the two (a
    # join: measured at 1M invoices, adding the two up again per customer cost as much as
    # summing the buckets).
    sql = f"""
WITH open_invoices(account_id, currency, {", ".join(buckets)}) AS (
  {_open_sql(params, from_balances, where)}
),
unapplied(account_id, currency, amount) AS ({_unapplied_sql(from_balances, where)})
SELECT account_id, currency, {", ".join(f"coalesce({b}, 0)" for b in buckets)},
       coalesce(amount, 0)
FROM open_invoices FULL OUTER JOIN unapplied USING (account_id, currency)"""
    return sql, values | more


def currency_totals_sql(cursor, params: AgingParams) -> tuple[str, dict] | None:
    """Each currency's totals (columns currency, one open amount per bucket, unapplied
    cash and credit) summed straight from the documents, for a caller that needs no
    customer rows: every bucket is a sum, so adding per customer first changes nothing,
    and one group per currency cost a third of one per customer at 1M invoices. None
    where the date reads the monthly movements (use figures_sql)."""
    if _months_reading(cursor, params, None) is not None:
        return None
    _, values = _bucket_conditions(params)
    where, more = _filters(params, None)
    from_balances = reads_open_balances(cursor)
    buckets = [f"b{i}" for i in range(len(params.edges) + 2)]
    sql = f"""
WITH open_invoices(currency, {", ".join(buckets)}) AS (
  {_open_sql(params, from_balances, where, keys="currency")}
),
unapplied_rows(account_id, currency, amount) AS ({_unapplied_sql(from_balances, where)}),
unapplied AS (SELECT currency, sum(amount) AS amount FROM unapplied_rows GROUP BY currency)
SELECT currency, {", ".join(f"coalesce({b}, 0)" for b in buckets)}, coalesce(amount, 0)
FROM open_invoices FULL OUTER JOIN unapplied USING (currency)"""
    return sql, values | more
