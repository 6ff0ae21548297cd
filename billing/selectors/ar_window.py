"""What was open on a past date from the customers' monthly movements: the AR reports'
reading of a date with movements booked after it, bounded by a window instead of by
everything booked since (PostgreSQL; the SQLite demo sums every movement).

Each customer's movements per currency and month are kept in
billing_accountmonthlymovement (billing.models.AccountMonthlyMovement) by triggers, each
movement in the month from which it counts (billing.selectors.ar_as_of). A customer's open
invoices and unapplied cash and credit as of the end of D are then, around a month
boundary B (the first day of D's month or of the next, whichever is nearer D):

- the months before B, or its balance today (billing_accountopenbalance) less the
  months from B on, whichever are fewer,
- plus what counts from B to D, or less what counts after D until B.

Only the movements of at most half a month are read row by row, by index ranges on
their dates. Exact for every D, however late a movement was written: a
backdated one has changed its own month's row.

The aging needs one invoice at a time only where an invoice's date decides its bucket:
the invoices whose basis date falls in a bucket other than the oldest. Those were dated
at most (last edge + the longest payment terms in use) before D, and every payment or
credit application on them is dated on or after them (the services refuse an earlier
one; `manage.py check_open_balances` checks it), so a window of dates holds them and
their applications. Credit notes, which can be dated before their invoice, are joined to
those invoices whatever their date. The oldest bucket is the customer's open amount as of
D less the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.dates import month_end

ISSUED = "i.number IS NOT NULL AND i.status IN ('issued', 'void')"

# What counts in (%(range_lo)s, %(range_hi)s], per (account_id, currency): open invoices
# (COUNTED_OPEN_IN_RANGE_SQL) and unapplied cash and credit, each movement on the day
# from which it counts (the triggers' rule, migration 0119). A movement on an invoice
# counts from its own date or its invoice's, whichever is later: the rows dated in the
# range on invoices dated on or before its end, and the credit notes dated before the
# range on invoices dated in it (applications are never dated before their invoice: the
# services refuse it, and `manage.py check_open_balances` lists any).
COUNTED_OPEN_IN_RANGE_SQL = f"""
  SELECT i.account_id, i.currency, i.total_amount AS open_amount, 0 AS unapplied_amount
  FROM billing_invoice i
  WHERE {ISSUED} AND i.invoice_date > %(range_lo)s AND i.invoice_date <= %(range_hi)s
  UNION ALL
  SELECT i.account_id, i.currency, -m.amount, 0
  FROM (
    SELECT invoice_id, amount FROM billing_paymentapplication
      WHERE applied_date > %(range_lo)s AND applied_date <= %(range_hi)s
    UNION ALL
    SELECT invoice_id, amount FROM billing_creditapplication
      WHERE applied_date > %(range_lo)s AND applied_date <= %(range_hi)s
    UNION ALL
    SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
      WHERE credit_date > %(range_lo)s AND credit_date <= %(range_hi)s
  ) m JOIN billing_invoice i ON i.id = m.invoice_id
  WHERE {ISSUED} AND i.invoice_date <= %(range_hi)s
  UNION ALL
  SELECT i.account_id, i.currency, -(n.total_amount - n.on_account_amount), 0
  FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
  WHERE {ISSUED} AND n.credit_date <= %(range_lo)s
    AND i.invoice_date > %(range_lo)s AND i.invoice_date <= %(range_hi)s
"""
COUNTED_IN_RANGE_SQL = f"""{COUNTED_OPEN_IN_RANGE_SQL}  UNION ALL
  SELECT account_id, currency, 0, amount FROM billing_payment
    WHERE received_date > %(range_lo)s AND received_date <= %(range_hi)s
  UNION ALL
  SELECT p.account_id, p.currency, 0, -m.amount
  FROM (
    SELECT payment_id, amount FROM billing_paymentapplication
      WHERE applied_date > %(range_lo)s AND applied_date <= %(range_hi)s
    UNION ALL
    SELECT payment_id, amount FROM billing_refund
      WHERE refund_date > %(range_lo)s AND refund_date <= %(range_hi)s
  ) m JOIN billing_payment p ON p.id = m.payment_id
  UNION ALL
  SELECT i.account_id, n.currency, 0, n.on_account_amount
  FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
  WHERE n.on_account_amount > 0
    AND n.credit_date > %(range_lo)s AND n.credit_date <= %(range_hi)s
  UNION ALL
  SELECT i.account_id, n.currency, 0, -m.amount
  FROM (
    SELECT credit_note_id, amount FROM billing_creditapplication
      WHERE applied_date > %(range_lo)s AND applied_date <= %(range_hi)s
    UNION ALL
    SELECT credit_note_id, amount FROM billing_creditrefund
      WHERE refund_date > %(range_lo)s AND refund_date <= %(range_hi)s
  ) m JOIN billing_creditnote n ON n.id = m.credit_note_id
    JOIN billing_invoice i ON i.id = n.invoice_id
  WHERE n.on_account_amount > 0
"""

# Open invoices and unapplied cash and credit as of %(as_of)s per (account_id, currency):
# {months} (the months before a month boundary, or today's balances less the months
# after it) plus or minus ({sign}) what counts between that boundary and the date.
# {unapplied} and {counted}: both parts, or the open invoices only (the worklist's
# reading: the range's applications are then not joined to their payments, nor its
# payments, refunds and credit on account read; ~half of what the range costs).
TOTALS_SQL = """
SELECT account_id, currency, sum(open_amount) AS open_amount{unapplied}
FROM (
  {months}
  UNION ALL
  SELECT account_id, currency, {sign}open_amount, {sign}unapplied_amount FROM (
  {counted}
  ) counted
) movements
GROUP BY account_id, currency
"""
BOTH_PARTS = (",\n       sum(unapplied_amount) AS unapplied_amount", COUNTED_IN_RANGE_SQL)
OPEN_ONLY = ("", COUNTED_OPEN_IN_RANGE_SQL)
MONTHS_BEFORE = """SELECT account_id, currency, open_amount, unapplied_amount
  FROM billing_accountmonthlymovement WHERE month < %(boundary)s"""
MONTHS_AFTER = """SELECT account_id, currency, open_amount, unapplied_amount
  FROM billing_accountopenbalance WHERE open_amount <> 0 OR unapplied_amount <> 0
  UNION ALL
  SELECT account_id, currency, -open_amount, -unapplied_amount
  FROM billing_accountmonthlymovement WHERE month >= %(boundary)s"""


def _totals_sql(months: str, sign: str, parts: tuple[str, str]) -> str:
    unapplied, counted = parts
    return TOTALS_SQL.format(months=months, sign=sign, unapplied=unapplied, counted=counted)


MONTHS_KEPT_SQL = "SELECT min(month), max(month) FROM billing_accountmonthlymovement"

# The longest payment terms (due date - invoice date, in days) among issued invoices:
# the last entry of an index (migration 0119).
LONGEST_TERMS_SQL = (
    "SELECT max(due_date - invoice_date) FROM billing_invoice "
    "WHERE number IS NOT NULL AND status IN ('issued', 'void')"
)

# The invoices whose basis date is on or after %(young_from_basis)s, dated up to D, with
# the movements on them dated on or before D, as rows (account_id, currency, due_date,
# invoice_date, amount): the invoice's total, less each movement (summed per invoice they
# give its open amount as of D). The invoices are an index range of their date from
# %(young_from)s; their applications an index range of the applied date from the same
# day (never dated before their invoice), hash-joined to those invoices; their credit
# notes, which may be dated before their invoice, whatever their date. Joining the
# movements to the invoices directly measured ~10% faster at 1M invoices than summing
# them per invoice first, and ~15% faster than a materialised list of the invoices.
YOUNG_INVOICE = f"""{ISSUED} AND i.invoice_date >= %(young_from)s AND i.invoice_date <= %(as_of)s
  AND i.{{basis}} >= %(young_from_basis)s AND {{where}}"""
YOUNG_SQL = f"""
SELECT i.account_id, i.currency, i.due_date, i.invoice_date, i.total_amount AS amount
FROM billing_invoice i WHERE {YOUNG_INVOICE}
UNION ALL
SELECT i.account_id, i.currency, i.due_date, i.invoice_date, -m.amount
FROM (
  SELECT invoice_id, amount FROM billing_paymentapplication
    WHERE applied_date >= %(young_from)s AND applied_date <= %(as_of)s
  UNION ALL
  SELECT invoice_id, amount FROM billing_creditapplication
    WHERE applied_date >= %(young_from)s AND applied_date <= %(as_of)s
  UNION ALL
  SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
    WHERE credit_date <= %(as_of)s
) m JOIN billing_invoice i ON i.id = m.invoice_id
WHERE {YOUNG_INVOICE}
"""


@dataclass(frozen=True)
class MonthlyReading:
    """How to read the customers' balances as of a date: the SQL and its parameters."""

    sql: str
    params: dict


def months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def tune_window_transaction(cursor) -> None:
    """Planner settings for the window's reads (inside the report's transaction): its
    movements of half a month are joined to their invoices and payments by primary key,
    which the default costs (random reads from disk, parallel workers) priced above
    hashing the whole tables (at 1M invoices: seconds instead of tenths, the book being
    in memory as a report's tables are). Parallel workers, allowed, do plan sensibly
    (index ranges, a parallel hash join, a partial per-customer aggregate) but measured
    slower at 1M invoices on this 2-core machine, idle or not: at load 1 the aging's
    statement took 585 / 794 / 531 ms (median) against 400 / 589 / 409 ms serial;
    combining three processes' partial numeric sums for 20k customers costs more than
    they share."""
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    cursor.execute("SET LOCAL random_page_cost = 1.1")


def totals_readings(as_of: date, open_only: bool = False) -> list[MonthlyReading]:
    """The four readings of the customers' totals as of `as_of`: from the months before
    or after the first day of its month (what counts from that day to the date added),
    and from those before or after the first day of the next month (what counts after
    the date in its month taken off). Each gives the same figures. `open_only`: the
    open invoices' column only (no unapplied_amount)."""
    first_day = as_of.replace(day=1)
    next_month = month_end(as_of) + timedelta(days=1)
    low = {"boundary": first_day, "range_lo": first_day - timedelta(days=1), "range_hi": as_of}
    high = {"boundary": next_month, "range_lo": as_of, "range_hi": month_end(as_of)}
    parts = OPEN_ONLY if open_only else BOTH_PARTS
    return [
        MonthlyReading(_totals_sql(MONTHS_BEFORE, "", parts), low),
        MonthlyReading(_totals_sql(MONTHS_AFTER, "", parts), low),
        MonthlyReading(_totals_sql(MONTHS_BEFORE, "-", parts), high),
        MonthlyReading(_totals_sql(MONTHS_AFTER, "-", parts), high),
    ]


def totals_as_of(cursor, as_of: date, open_only: bool = False) -> MonthlyReading:
    """The SQL of each customer's open invoices and unapplied amount per currency as of
    the end of `as_of` (columns account_id, currency, open_amount, unapplied_amount; the
    first three with `open_only`): the month boundary with fewer days between it and the
    date bounds the movements read one by one, and the side of it that keeps fewer
    months gives the rest."""
    before_low, after_low, before_high, after_high = totals_readings(as_of, open_only)
    days_low = as_of.day
    days_high = month_end(as_of).day - as_of.day
    before, after = (before_low, after_low) if days_low <= days_high else (before_high, after_high)
    boundary = before.params["boundary"]
    cursor.execute(MONTHS_KEPT_SQL)
    first, last = cursor.fetchone()
    months_before = months_between(first, boundary) if first else 0
    months_after = months_between(boundary, last) + 1 if last else 0
    return before if months_before <= months_after else after


def young_as_of(
    cursor, as_of: date, basis: str, youngest_days: int, where: str = "true"
) -> MonthlyReading:
    """The SQL of the invoices whose basis date ("due_date" or "invoice_date") lies
    within `youngest_days` before `as_of` or later, with their movements dated up to
    `as_of` (see YOUNG_SQL), and its parameters; `where`: a condition on the invoice's
    own columns (a customer, a currency)."""
    young_from_basis = as_of - timedelta(days=youngest_days)
    young_from = young_from_basis
    if basis == "due_date":
        cursor.execute(LONGEST_TERMS_SQL)
        longest = cursor.fetchone()[0] or 0
        young_from -= timedelta(days=max(longest, 0))
    return MonthlyReading(
        YOUNG_SQL.format(basis=basis, where=where),
        {"as_of": as_of, "young_from": young_from, "young_from_basis": young_from_basis},
    )
