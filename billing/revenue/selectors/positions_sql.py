"""Contract positions ranked, paged and totalled in SQL (PostgreSQL), for the balances and
roll-forward pages (issue 20); and the waterfall's groups counted, totalled and paged in
the same statement.

The figures are those of `balance_figures` (and so of `contract_balances`): recognised and
billed come from the maintained movements (models_totals: the sums of `_schedule_lines`,
and of `_billed_invoice_lines` less `_credited_lines`, per contract and day, kept by
triggers), the as-of allocation from its queryset compiled by Django, so each contract's
recognised, billed, usage billed and refund liability are the same sums. What moves
into the database is what Python did with one small tuple per contract: mapping billed
figures to the accounting contract, the refund liability, the totals, the count, the
order and the page. One statement per page whatever the book's size. Usage revenue,
which the engine computes from usage records on read, enters as one (contract, amount)
row per contract that has any.

SQLite (the demo) keeps the per-contract path in `paged.py`.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from ordermgmt.models import Contract, Product

from ..models import (
    BilledRevenueMovement,
    PerformanceObligation,
    RecognisedRevenueMovement,
    RevenueAllocation,
    ScheduledRevenueCurrencyMonth,
    ScheduledRevenueMonth,
    ScheduledRevenueTotal,
)
from .balances import (
    Scope,
    _contracts_in_scope,
    exact,
    usage_events,
)

ZERO = Decimal(0)
CONTRACTS = Contract._meta.db_table
PRODUCTS = Product._meta.db_table
RECOGNISED = RecognisedRevenueMovement._meta.db_table
SCHEDULED = ScheduledRevenueMonth._meta.db_table
SCHEDULED_GROUPS = ScheduledRevenueTotal._meta.db_table
SCHEDULED_MONTHS = ScheduledRevenueCurrencyMonth._meta.db_table
BILLED = BilledRevenueMovement._meta.db_table

# net = recognised - billed + refund liability: positive a contract asset (unbilled),
# negative a contract liability (deferred revenue).
BALANCE_SUMS = {
    "billed": "billed",
    "recognised": "recognised",
    "refund_liability": "refund_liability",
    "contract_asset": "CASE WHEN net > 0 THEN net ELSE 0 END",
    "contract_liability": "CASE WHEN net < 0 THEN -net ELSE 0 END",
}


def _sql(queryset) -> tuple[str, list]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _usage_rows(as_of: date, scope: Scope) -> tuple[str, list]:
    """(contract_id, total) of usage revenue to date, summed per accounting contract."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for event in usage_events(as_of, scope):
        totals[event.contract_id] += event.amount
    if not totals:
        return "SELECT NULL::bigint, NULL::numeric WHERE false", []
    values = ", ".join(["(%s::bigint, %s::numeric)"] * len(totals))
    return f"VALUES {values}", [v for item in totals.items() for v in item]


def recognised_sql(as_of: date, scope: Scope) -> tuple[str, list]:
    """(contract_id, total) of revenue recognised to `as_of` per accounting contract that
    has a line counted then, from the maintained movements (models_totals): the sums of
    `_schedule_lines` up to the date, without reading the lines."""
    where, params = _recognised_where(as_of, scope)
    return (
        f"SELECT m.contract_id, SUM(m.amount) FROM {RECOGNISED} m WHERE {' AND '.join(where)} "
        f"GROUP BY m.contract_id HAVING SUM(m.lines) > 0",
        params,
    )


def recognised_on_two_dates_sql(first: date, second: date, scope: Scope) -> tuple[str, list]:
    """(contract_id, first_total, first_lines, second_total, second_lines): what
    `recognised_sql` gives on each date, in one pass over the movements (the roll-forward
    reads its opening and closing dates; most of its time was this sum, taken twice)."""
    where, params = _recognised_where(max(first, second), scope)
    return (
        "SELECT m.contract_id, "
        "SUM(m.amount) FILTER (WHERE m.day <= %s), SUM(m.lines) FILTER (WHERE m.day <= %s), "
        "SUM(m.amount) FILTER (WHERE m.day <= %s), SUM(m.lines) FILTER (WHERE m.day <= %s) "
        f"FROM {RECOGNISED} m WHERE {' AND '.join(where)} GROUP BY m.contract_id",
        [first, first, second, second, *params],
    )


def _recognised_where(as_of: date, scope: Scope) -> tuple[list[str], list]:
    where, params = ["m.day <= %s"], [as_of]
    if scope.currency:
        where.append("m.currency = %s")
        params.append(scope.currency)
    if scope.account_id:
        where.append(f"m.contract_id IN (SELECT id FROM {CONTRACTS} WHERE account_id = %s)")
        params.append(scope.account_id)
    if scope.contract_ids is not None:
        where.append("m.contract_id = ANY(%s)")
        params.append(list(scope.contract_ids))
    return where, params


def billed_movements_sql(as_of: date, scope: Scope) -> tuple[str, list]:
    """(contract_id, usage, total) of what was billed to `as_of` per invoice contract of
    the scope with a line counted then, from the maintained movements (models_totals): the
    sums of `_billed_invoice_lines` less `_credited_lines` up to the date, without reading
    the documents."""
    where, params = ["m.day <= %s"], [as_of]
    if scope != Scope():
        contracts, contract_params = _sql(_contracts_in_scope(scope).values("pk"))
        where.append(f"m.contract_id IN ({contracts})")
        params += contract_params
    return (
        f"SELECT m.contract_id, m.usage, SUM(m.amount) FROM {BILLED} m "
        f"WHERE {' AND '.join(where)} GROUP BY m.contract_id, m.usage HAVING SUM(m.lines) > 0",
        params,
    )


def figures_ctes(
    prefix: str, as_of: date, scope: Scope, recognised: tuple[str, list] | None = None
) -> tuple[list[str], list]:
    """CTEs ending in `<prefix>figures(contract_id, billed, usage_billed, recognised,
    refund_liability, net)`: one row per accounting contract of `balance_figures`.
    `recognised`: the (contract_id, total) rows of `recognised_sql` on `as_of` when the
    caller has them already."""
    latest = (
        RevenueAllocation.objects.filter(contract=OuterRef("contract"), effective_date__lte=as_of)
        .order_by("-version")
        .values("pk")[:1]
    )
    # Only an expected refund or credit (negative variable consideration) in the as-of
    # allocation makes a refund liability.
    refunding = (
        RevenueAllocation.objects.filter(
            effective_date__lte=as_of, variable_consideration__lt=0, pk=Subquery(latest)
        )
        .values_list("contract_id", "transaction_price")
        .order_by()
    )
    accounting = (
        PerformanceObligation.objects.values_list("contract_id", "accounting_contract_id")
        .order_by()
        .distinct()
    )

    parts: list[tuple[str, str, list]] = []
    for name, columns, (sql, params) in [
        ("rec", "contract_id, total", recognised or recognised_sql(as_of, scope)),
        ("usage", "contract_id, total", _usage_rows(as_of, scope)),
        ("bil", "contract_id, usage, total", billed_movements_sql(as_of, scope)),
        ("amap", "contract_id, accounting_contract_id", _sql(accounting)),
        ("refunding", "contract_id, transaction_price", _sql(refunding)),
    ]:
        parts.append((f"{prefix}{name}({columns})", sql, params))
    p = prefix
    where, where_params = [], []
    if scope.currency:
        where.append(f"f.contract_id IN (SELECT id FROM {CONTRACTS} WHERE currency = %s)")
        where_params.append(scope.currency)
    if scope.contract_ids is not None:
        where.append("f.contract_id = ANY(%s)")
        where_params.append(list(scope.contract_ids))
    parts += [
        (
            f"{p}recognised",
            f"SELECT contract_id, SUM(total) AS total FROM (SELECT * FROM {p}rec "
            f"UNION ALL SELECT * FROM {p}usage) r GROUP BY contract_id",
            [],
        ),
        (
            f"{p}billed",
            f"SELECT COALESCE(m.accounting_contract_id, x.contract_id) AS contract_id, "
            f"SUM(x.total) AS billed, "
            f"SUM(CASE WHEN x.usage THEN x.total ELSE 0 END) AS usage_billed "
            f"FROM {p}bil x LEFT JOIN {p}amap m ON m.contract_id = x.contract_id GROUP BY 1",
            [],
        ),
        (
            f"{p}joined",
            f"SELECT COALESCE(r.contract_id, b.contract_id) AS contract_id, "
            f"COALESCE(b.billed, 0) AS billed, COALESCE(b.usage_billed, 0) AS usage_billed, "
            f"COALESCE(r.total, 0) AS recognised, "
            f"CASE WHEN a.transaction_price IS NOT NULL "
            f"AND COALESCE(b.billed, 0) - COALESCE(b.usage_billed, 0) > a.transaction_price "
            f"THEN COALESCE(b.billed, 0) - COALESCE(b.usage_billed, 0) - a.transaction_price "
            f"ELSE 0 END AS refund_liability "
            f"FROM {p}recognised r FULL OUTER JOIN {p}billed b ON b.contract_id = r.contract_id "
            f"LEFT JOIN {p}refunding a ON a.contract_id = COALESCE(r.contract_id, b.contract_id)",
            [],
        ),
        (
            f"{p}figures",
            f"SELECT f.*, f.recognised - f.billed + f.refund_liability AS net "
            f"FROM {p}joined f" + (f" WHERE {' AND '.join(where)}" if where else ""),
            where_params,
        ),
    ]
    ctes = [f"{name} AS ({sql})" for name, sql, _ in parts]
    return ctes, [v for *_, params in parts for v in params]


@contextmanager
def serial_reading():
    """A cursor in a transaction whose statements plan no parallel workers and no JIT. A
    page's statement reads one or two hundred thousand maintained rows: starting and
    gathering workers cost more than they saved (at 10k contracts, 0.38-0.62 s with two
    workers, 0.31-0.48 s without, load 7 on two cores), as for the AR window's reads
    (billing.selectors.ar_window.tune_window_transaction); and its plan's cost passes
    jit_above_cost, whose compiling took 118 ms of the balances' 356 ms at 10k contracts
    (load 7), more than it saved, as for the AR reports (ar_as_of.tune_report_transaction)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("SET LOCAL jit = off")
        yield cursor


def _page_window(offset: int, size: int) -> tuple[str, list]:
    """Rows n (1-based, in page order) of the page at `offset`, or of the last page when
    the book has fewer rows, as `paging()` clamps it."""
    last = "GREATEST((count - 1) / %s * %s, 0)"
    return f"n > LEAST(%s, {last}) AND n <= LEAST(%s, {last}) + %s", [
        offset,
        size,
        size,
        offset,
        size,
        size,
        size,
    ]


def balances_in_sql(
    as_of: date, scope: Scope, *, offset: int, size: int, rows: bool
) -> tuple[int, dict, dict[int, tuple]]:
    """(count, totals, {contract: (billed, usage_billed, recognised, refund)} of the page
    by contract id)."""
    ctes, params = figures_ctes("", as_of, scope)
    sums = ", ".join(
        f"COALESCE(SUM({sql}) OVER (), 0) AS {name}" for name, sql in BALANCE_SUMS.items()
    )
    window, window_params = _page_window(offset, size) if rows else ("n = 1", [])
    query = (
        f"WITH {', '.join(ctes)} SELECT * FROM (SELECT contract_id, billed, usage_billed, "
        f"recognised, refund_liability, {sums}, COUNT(*) OVER () AS count, "
        f"ROW_NUMBER() OVER (ORDER BY contract_id) AS n FROM figures) page "
        f"WHERE {window} ORDER BY n"
    )
    with serial_reading() as cursor:
        cursor.execute(query, params + window_params)
        found = cursor.fetchall()
    if not found:
        return 0, dict.fromkeys(BALANCE_SUMS, ZERO), {}
    first = found[0]
    totals = {name: exact(first[5 + i]) for i, name in enumerate(BALANCE_SUMS)}
    count = first[5 + len(BALANCE_SUMS)]
    page = {r[0]: tuple(exact(v) for v in r[1:5]) for r in found} if rows else {}
    return count, totals, page


# Over `sides`: each contract's figures at the opening (o_) and closing (c_) dates, zero
# where it has none on one side.
ROLLFORWARD_COLUMNS = {
    "opening": "-o_net",
    "billed": "c_billed - o_billed",
    "recognised": "c_recognised - o_recognised",
    "refund_change": "c_refund - o_refund",
    "closing": "-c_net",
    "opening_deferred": "CASE WHEN o_net < 0 THEN -o_net ELSE 0 END",
    "opening_unbilled": "CASE WHEN o_net > 0 THEN o_net ELSE 0 END",
    "closing_deferred": "CASE WHEN c_net < 0 THEN -c_net ELSE 0 END",
    "closing_unbilled": "CASE WHEN c_net > 0 THEN c_net ELSE 0 END",
}


def rollforward_in_sql(
    *, opening: date, closing: date, scope: Scope, offset: int, size: int
) -> tuple[int, dict, dict[int, dict]]:
    """(count, totals, {contract: row figures} of the page by contract reference) of the
    contracts whose position moved or is not nil between the two dates."""
    both, both_params = recognised_on_two_dates_sql(opening, closing, scope)
    side = "SELECT contract_id, {0}_total FROM rec_both WHERE {0}_lines > 0"
    opening_ctes, opening_params = figures_ctes("o_", opening, scope, (side.format("o"), []))
    closing_ctes, closing_params = figures_ctes("c_", closing, scope, (side.format("c"), []))
    moved = ", ".join(f"{sql} AS {name}" for name, sql in ROLLFORWARD_COLUMNS.items())
    shown = " OR ".join(
        f"{name} <> 0" for name in ("opening", "closing", "billed", "recognised", "refund_change")
    )
    # The reference is CTR-<id, at least six digits>; sorted by code point as in Python.
    reference = (
        "('CTR-' || CASE WHEN contract_id < 1000000 THEN lpad(contract_id::text, 6, '0') "
        'ELSE contract_id::text END) COLLATE "C"'
    )
    sums = ", ".join(
        f"COALESCE(SUM({name}) OVER (), 0) AS sum_{name}" for name in ROLLFORWARD_COLUMNS
    )
    window, window_params = _page_window(offset, size)
    query = (
        f"WITH rec_both(contract_id, o_total, o_lines, c_total, c_lines) AS ({both}), "
        f"{', '.join(opening_ctes + closing_ctes)}, "
        f"sides AS (SELECT COALESCE(c.contract_id, o.contract_id) AS contract_id, "
        f"COALESCE(o.billed, 0) AS o_billed, COALESCE(o.recognised, 0) AS o_recognised, "
        f"COALESCE(o.refund_liability, 0) AS o_refund, COALESCE(o.net, 0) AS o_net, "
        f"COALESCE(c.billed, 0) AS c_billed, COALESCE(c.recognised, 0) AS c_recognised, "
        f"COALESCE(c.refund_liability, 0) AS c_refund, COALESCE(c.net, 0) AS c_net "
        f"FROM o_figures o FULL OUTER JOIN c_figures c ON c.contract_id = o.contract_id), "
        f"moved AS (SELECT contract_id, {moved} FROM sides), "
        f"shown AS (SELECT * FROM moved WHERE {shown}) "
        f"SELECT * FROM (SELECT shown.*, {sums}, COUNT(*) OVER () AS count, "
        f"ROW_NUMBER() OVER (ORDER BY {reference}, contract_id) AS n FROM shown) page "
        f"WHERE {window} ORDER BY n"
    )
    with serial_reading() as cursor:
        cursor.execute(query, both_params + opening_params + closing_params + window_params)
        names = [c.name for c in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not found:
        return 0, dict.fromkeys(ROLLFORWARD_COLUMNS, ZERO), {}
    totals = {name: exact(found[0][f"sum_{name}"]) for name in ROLLFORWARD_COLUMNS}
    page = {r["contract_id"]: {n: exact(r[n]) for n in ROLLFORWARD_COLUMNS} for r in found}
    return found[0]["count"], totals, page


# The waterfall's (contract, product) rows known on %(as_of)s in %(currency)s, from the
# maintained totals: a row with a total other than nil is shown; one whose total is nil is
# shown if a month of the window (%(first)s to %(last)s, first days) is not (its months
# read one by one: few rows). Counted, ordered as `revenue_waterfall` orders them (contract
# id, then product SKU and name by code point) and paged; with the before and after
# figures of the nil rows not shown, which the column totals leave out.
WATERFALL_SQL = f"""
WITH g AS (
  SELECT contract_id, product_id, SUM(amount) AS total FROM {SCHEDULED_GROUPS}
  WHERE currency = %(currency)s AND known_from <= %(as_of)s GROUP BY 1, 2
),
nil_months AS (
  SELECT t.contract_id, t.product_id, t.month, SUM(t.amount) AS amount
  FROM {SCHEDULED} t JOIN g ON g.contract_id = t.contract_id AND g.product_id = t.product_id
  WHERE g.total = 0 AND t.currency = %(currency)s AND t.known_from <= %(as_of)s
  GROUP BY 1, 2, 3
),
nil_shown AS (
  SELECT DISTINCT contract_id, product_id FROM nil_months
  WHERE amount <> 0 AND month >= %(first)s AND month <= %(last)s
),
hidden AS (
  SELECT COALESCE(SUM(amount) FILTER (WHERE month < %(first)s), 0) AS before,
         COALESCE(SUM(amount) FILTER (WHERE month > %(last)s), 0) AS after
  FROM nil_months z WHERE NOT EXISTS (
    SELECT 1 FROM nil_shown s WHERE s.contract_id = z.contract_id AND s.product_id = z.product_id)
),
shown AS (
  SELECT contract_id, product_id FROM g WHERE total <> 0
  UNION ALL SELECT contract_id, product_id FROM nil_shown
)
SELECT page.contract_id, page.product_id, page.count, hidden.before, hidden.after
FROM (
  SELECT s.contract_id, s.product_id, COUNT(*) OVER () AS count,
         ROW_NUMBER() OVER (ORDER BY s.contract_id, p.sku COLLATE "C", p.name COLLATE "C",
                            s.product_id) AS n
  FROM shown s JOIN {PRODUCTS} p ON p.id = s.product_id
) page CROSS JOIN hidden
WHERE {{window}} ORDER BY n
"""

SCHEDULED_BY_MONTH_SQL = f"""
SELECT month, SUM(amount) FROM {SCHEDULED_MONTHS}
WHERE currency = %s AND known_from <= %s GROUP BY month
"""


@dataclass
class WaterfallRows:
    count: int
    keys: list[tuple[int, int]]  # (contract, product) of the page
    hidden_before: Decimal = ZERO
    hidden_after: Decimal = ZERO


def waterfall_rows_in_sql(
    *, as_of: date, currency: str, first: date, last: date, offset: int, size: int, rows: bool
) -> WaterfallRows:
    """The waterfall's rows counted and paged from the maintained totals (WATERFALL_SQL);
    `rows=False`: the count alone."""
    window, window_params = _page_window(offset, size) if rows else ("n = 1", [])
    # The window's placeholders are positional: name them for the named-style statement.
    names = [f"w{i}" for i in range(len(window_params))]
    for name in names:
        window = window.replace("%s", f"%({name})s", 1)
    params = {"as_of": as_of, "currency": currency, "first": first, "last": last}
    params.update(zip(names, window_params, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(WATERFALL_SQL.format(window=window), params)
        found = cursor.fetchall()
    if not found:
        return WaterfallRows(0, [])
    _, _, count, before, after = found[0]
    keys = [(r[0], r[1]) for r in found] if rows else []
    return WaterfallRows(count, keys, exact(before), exact(after))


def scheduled_by_month(as_of: date, currency: str) -> dict[date, Decimal]:
    """{month (first day): revenue scheduled in it as known on `as_of`}, every contract."""
    with connection.cursor() as cursor:
        cursor.execute(SCHEDULED_BY_MONTH_SQL, [currency, as_of])
        return {month: exact(amount) for month, amount in cursor.fetchall()}
