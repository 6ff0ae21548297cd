"""The worklist's ranking as of a date with movements booked after it (PostgreSQL), from
the customers' monthly movements (billing.selectors.ar_window) instead of a pass over
every invoice.

An account's overdue amount per currency as of D is its open invoices then less those
not yet due (dated at most the longest payment terms before D: a window of dates), so
the ranking by amount reads the monthly movements and that window, not the book. The
oldest overdue due date and the count of overdue invoices need the invoices one by one:
they are read for the accounts of the page only (and any that tie with them on amount,
which the oldest due date then orders), each invoice at its open amount as of D.

That equals the pass over every invoice when no overdue invoice is below zero as of D
(the pass counts only invoices still owing something). One can be only when a reversal
dated after D takes back an application dated on or before D that a later credit then
replaced; such invoices are looked for first (reversals dated after D: a partial index)
and, if one is found, the caller makes the pass over every invoice instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.selectors.ar_window import totals_as_of, tune_window_transaction, young_as_of

# An invoice's open amount as of %(as_of)s: today's plus back the movements dated after
# the date (index lookups by invoice).
OPEN_AS_OF = """i.total_amount - i.credited_amount - i.paid_amount + coalesce((
    SELECT sum(amount) FROM billing_paymentapplication a
    WHERE a.invoice_id = i.id AND a.applied_date > %(as_of)s), 0) + coalesce((
    SELECT sum(amount) FROM billing_creditapplication a
    WHERE a.invoice_id = i.id AND a.applied_date > %(as_of)s), 0) + coalesce((
    SELECT sum(total_amount - on_account_amount) FROM billing_creditnote n
    WHERE n.invoice_id = i.id AND n.credit_date > %(as_of)s), 0)"""

ISSUED_BY = (
    "i.number IS NOT NULL AND i.status IN ('issued', 'void') "
    "AND i.invoice_date <= %(as_of)s AND i.due_date < %(as_of)s"
)

# Whether an overdue invoice is below zero as of the date (see the module's docstring).
BELOW_ZERO_SQL = f"""
SELECT EXISTS (
  SELECT 1 FROM billing_invoice i
  WHERE i.id IN (
    SELECT invoice_id FROM billing_paymentapplication
      WHERE amount < 0 AND applied_date > %(as_of)s
    UNION
    SELECT invoice_id FROM billing_creditapplication
      WHERE amount < 0 AND applied_date > %(as_of)s
  ) AND {ISSUED_BY} AND {OPEN_AS_OF} < 0
)
"""

# Per (account_id, currency): the overdue amount as of the date (columns account_id,
# currency, total): the open invoices then less those not yet due.
OVERDUE_AMOUNTS_SQL = """
SELECT coalesce(t.account_id, y.account_id) AS account_id,
       coalesce(t.currency, y.currency) AS currency,
       coalesce(t.open_amount, 0) - coalesce(y.amount, 0) AS total
FROM ({totals}) t FULL OUTER JOIN (
  SELECT account_id, currency, sum(amount) AS amount FROM ({young}) n
  GROUP BY account_id, currency
) y ON y.account_id = t.account_id AND y.currency = t.currency
"""

# The accounts of the page by amount and every account tying with its first or last:
# (account_id, how many accounts match, how many rank above the page's first amount).
CANDIDATES_SQL = """
WITH per_currency AS (
  SELECT * FROM ({amounts}) a WHERE total > 0
), rates (currency, rate) AS (VALUES {rates}), o AS (
  SELECT p.account_id, coalesce(sum(p.total * r.rate), 0) AS ranking
  FROM per_currency p LEFT JOIN rates r ON r.currency = p.currency
  GROUP BY p.account_id
), shown AS MATERIALIZED (
  SELECT o.account_id, o.ranking FROM o WHERE {show}
), page AS (
  SELECT ranking FROM shown ORDER BY ranking DESC LIMIT %(limit)s OFFSET %(offset)s
), bounds AS (SELECT min(ranking) AS low, max(ranking) AS high FROM page)
SELECT s.account_id, (SELECT count(*) FROM shown),
       (SELECT count(*) FROM shown, bounds WHERE shown.ranking > bounds.high)
FROM shown s, bounds WHERE s.ranking BETWEEN bounds.low AND bounds.high
"""

# The candidates' overdue figures per currency, invoice by invoice, in the ranking's
# columns (worklist_ranking.RANKING_SQL: account_id, currency, total, oldest, invoices).
# OFFSET 0 keeps the open amount a column of its own: flattened, the planner repeated
# its three lookups per invoice, once in the filter and once in the sum.
OVERDUE_OF_ACCOUNTS_SQL = f"""
SELECT account_id, currency, sum(open_amount) AS total, min(due_date) AS oldest,
       count(*) AS invoices
FROM (
  SELECT i.account_id, i.currency, i.due_date, {OPEN_AS_OF} AS open_amount
  FROM billing_invoice i WHERE i.account_id IN ({{ids}}) AND {ISSUED_BY}
  OFFSET 0
) o
WHERE open_amount > 0
GROUP BY account_id, currency
"""


def overdue_amounts(cursor, as_of: date) -> tuple[str, dict]:
    """The SQL of each account's overdue amount per currency as of `as_of` from the
    monthly movements, and its parameters."""
    totals = totals_as_of(cursor, as_of, open_only=True)
    not_due = young_as_of(cursor, as_of, "due_date", 0)
    sql = OVERDUE_AMOUNTS_SQL.format(totals=totals.sql, young=not_due.sql)
    return sql, totals.params | not_due.params


@dataclass(frozen=True)
class Candidates:
    """The accounts that the page is made of, and where the page starts among them."""

    per_currency: str  # their overdue figures, the ranking's per_currency SQL
    offset: int  # the page's first row among them
    matching: int  # how many accounts match in all


def page_candidates(
    cursor, *, as_of: date, show: str, rates: str, params: dict, offset: int, limit: int
) -> Candidates | None:
    """The accounts of one page of the ranking from the monthly movements (no
    per_currency SQL when the page is past the end); None when an overdue invoice is
    below zero as of the date (the caller passes over every invoice instead). `rates` and
    `params` are the ranking's VALUES list of rates and its parameters (with the show
    filter's)."""
    tune_window_transaction(cursor)
    cursor.execute(BELOW_ZERO_SQL, {"as_of": as_of})
    if cursor.fetchone()[0]:
        return None
    amounts, amount_params = overdue_amounts(cursor, as_of)
    cursor.execute(
        CANDIDATES_SQL.format(amounts=amounts, rates=rates, show=show),
        params | amount_params | {"offset": offset, "limit": limit},
    )
    found = cursor.fetchall()
    if not found:
        return Candidates("", 0, 0)
    ids = ",".join(str(int(row[0])) for row in found)
    return Candidates(OVERDUE_OF_ACCOUNTS_SQL.format(ids=ids), offset - found[0][2], found[0][1])
