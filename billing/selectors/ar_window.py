"""What was open on a past date from the customers' monthly movements: the AR reports'
reading of a date with movements booked after it, bounded by a window instead of by
everything booked since (PostgreSQL; the SQLite demo sums every movement).

Each customer's movements per currency and month are kept in
billing_accountmonthlymovement (billing.models.AccountMonthlyMovement) by triggers, each
movement in the month from which it counts (billing.selectors.ar_as_of). A customer's open
invoices and unapplied cash and credit as of the end of D are then either

- the months before D's month plus what counts from the first of D's month up to D, or
- its balance today (billing_accountopenbalance) less the months after D's month and
  what counts in D's month after D,

whichever reads fewer months. Only the movements of one month are read row by row, by
index ranges on their dates. Exact for every D, however late a movement was written: a
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
# and unapplied cash and credit, each movement on the day from which it counts (the
# triggers' rule, migration 0119). A movement on an invoice counts from its own date or
# its invoice's, whichever is later: the rows dated in the range on invoices dated on or
# before its end, and the rows dated before the range on invoices dated in it.
COUNTED_IN_RANGE_SQL = f"""
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
  SELECT i.account_id, i.currency, -m.amount, 0
  FROM billing_invoice i CROSS JOIN LATERAL (
    SELECT amount FROM billing_paymentapplication a
      WHERE a.invoice_id = i.id AND a.applied_date <= %(range_lo)s
    UNION ALL
    SELECT amount FROM billing_creditapplication a
      WHERE a.invoice_id = i.id AND a.applied_date <= %(range_lo)s
    UNION ALL
    SELECT total_amount - on_account_amount FROM billing_creditnote n
      WHERE n.invoice_id = i.id AND n.credit_date <= %(range_lo)s
  ) m
  WHERE {ISSUED} AND i.invoice_date > %(range_lo)s AND i.invoice_date <= %(range_hi)s
  UNION ALL
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

# Open invoices and unapplied cash and credit as of %(as_of)s per (account_id, currency),
# from the months before D's month (%(month)s) and what counts from its first day to D.
TOTALS_FROM_MONTHS_BEFORE_SQL = f"""
SELECT account_id, currency, sum(open_amount) AS open_amount,
       sum(unapplied_amount) AS unapplied_amount
FROM (
  SELECT account_id, currency, open_amount, unapplied_amount
  FROM billing_accountmonthlymovement WHERE month < %(month)s
  UNION ALL
  {COUNTED_IN_RANGE_SQL}
) movements
GROUP BY account_id, currency
"""

# The same from today's balances less the months after D's month and what counts in D's
# month after D.
TOTALS_FROM_MONTHS_AFTER_SQL = f"""
SELECT account_id, currency, sum(open_amount) AS open_amount,
       sum(unapplied_amount) AS unapplied_amount
FROM (
  SELECT account_id, currency, open_amount, unapplied_amount
  FROM billing_accountopenbalance WHERE open_amount <> 0 OR unapplied_amount <> 0
  UNION ALL
  SELECT account_id, currency, -open_amount, -unapplied_amount
  FROM billing_accountmonthlymovement WHERE month > %(month)s
  UNION ALL
  SELECT account_id, currency, -open_amount, -unapplied_amount FROM (
  {COUNTED_IN_RANGE_SQL}
  ) later
) movements
GROUP BY account_id, currency
"""

MONTHS_KEPT_SQL = "SELECT min(month), max(month) FROM billing_accountmonthlymovement"

# The longest payment terms (due date - invoice date, in days) among issued invoices:
# the last entry of an index (migration 0119).
LONGEST_TERMS_SQL = (
    "SELECT max(due_date - invoice_date) FROM billing_invoice "
    "WHERE number IS NOT NULL AND status IN ('issued', 'void')"
)

# The invoices whose basis date is on or after %(young_from_basis)s (their open amounts
# as of D one by one: total less the movements dated on or before D), as rows
# (account_id, currency, due_date, invoice_date, amount). The invoices are an index range
# of their date from %(young_from)s; their applications an index range of the applied
# date from the same day (never dated before their invoice); their credit notes, which
# may be, by a join on the invoice.
YOUNG_SQL = f"""
WITH young AS MATERIALIZED (
  SELECT i.id, i.account_id, i.currency, i.due_date, i.invoice_date, i.total_amount
  FROM billing_invoice i
  WHERE {ISSUED} AND i.invoice_date >= %(young_from)s AND i.invoice_date <= %(as_of)s
    AND i.{{basis}} >= %(young_from_basis)s AND {{where}}
)
SELECT account_id, currency, due_date, invoice_date, total_amount AS amount FROM young
UNION ALL
SELECT y.account_id, y.currency, y.due_date, y.invoice_date, -m.amount
FROM (
  SELECT invoice_id, amount FROM billing_paymentapplication
    WHERE applied_date >= %(young_from)s AND applied_date <= %(as_of)s
  UNION ALL
  SELECT invoice_id, amount FROM billing_creditapplication
    WHERE applied_date >= %(young_from)s AND applied_date <= %(as_of)s
  UNION ALL
  SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
    WHERE credit_date <= %(as_of)s
) m JOIN young y ON y.id = m.invoice_id
"""


@dataclass(frozen=True)
class MonthlyReading:
    """How to read the customers' balances as of a date: the SQL and its parameters."""

    sql: str
    params: dict


def months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def totals_as_of(cursor, as_of: date) -> MonthlyReading:
    """The SQL of each customer's open invoices and unapplied amount per currency as of
    the end of `as_of` (columns account_id, currency, open_amount, unapplied_amount), by
    whichever side of the date keeps fewer months."""
    month = as_of.replace(day=1)
    cursor.execute(MONTHS_KEPT_SQL)
    first, last = cursor.fetchone()
    before = months_between(first, month) if first else 0
    after = months_between(month, last) if last else 0
    if before <= after:
        return MonthlyReading(
            TOTALS_FROM_MONTHS_BEFORE_SQL,
            {"month": month, "range_lo": month - timedelta(days=1), "range_hi": as_of},
        )
    return MonthlyReading(
        TOTALS_FROM_MONTHS_AFTER_SQL,
        {"month": month, "range_lo": as_of, "range_hi": month_end(as_of)},
    )


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
