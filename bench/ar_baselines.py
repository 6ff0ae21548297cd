"""The hand-written SQL that bench/ar_aging.py times beside the as-of aging, for the same
figures on the same book: from every movement (an independent check), a tuned one-pass
SQL on the settlement columns, one on the customers' maintained open balances and one
statement on their monthly movements (the best of the last three is the baseline)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

BASELINE_SQL = """
WITH inv AS (
  SELECT id, account_id, currency, due_date, total_amount
  FROM billing_invoice
  WHERE number IS NOT NULL AND status IN ('issued', 'void') AND invoice_date <= %(d)s
), app AS (
  SELECT invoice_id, sum(amount) AS s FROM billing_paymentapplication
  WHERE applied_date <= %(d)s GROUP BY invoice_id
), cn AS (
  SELECT invoice_id, sum(total_amount - on_account_amount) AS s FROM billing_creditnote
  WHERE credit_date <= %(d)s GROUP BY invoice_id
), capp AS (
  SELECT invoice_id, sum(amount) AS s FROM billing_creditapplication
  WHERE applied_date <= %(d)s GROUP BY invoice_id
), docs AS (
  SELECT inv.account_id, inv.currency, %(d)s::date - inv.due_date AS days,
         inv.total_amount - coalesce(app.s, 0) - coalesce(cn.s, 0) - coalesce(capp.s, 0)
           AS open
  FROM inv LEFT JOIN app ON app.invoice_id = inv.id LEFT JOIN cn ON cn.invoice_id = inv.id
    LEFT JOIN capp ON capp.invoice_id = inv.id
), buckets AS (
  SELECT account_id, currency,
    coalesce(sum(open) FILTER (WHERE days <= 0), 0) AS b0,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 1 AND 30), 0) AS b1,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 31 AND 60), 0) AS b2,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 61 AND 90), 0) AS b3,
    coalesce(sum(open) FILTER (WHERE days BETWEEN 91 AND 120), 0) AS b4,
    coalesce(sum(open) FILTER (WHERE days > 120), 0) AS b5
  FROM docs GROUP BY account_id, currency
), cash AS (
  SELECT account_id, currency, sum(amount) AS unapplied FROM (
    SELECT account_id, currency, amount FROM billing_payment WHERE received_date <= %(d)s
    UNION ALL
    SELECT p.account_id, p.currency, -a.amount FROM billing_paymentapplication a
      JOIN billing_payment p ON p.id = a.payment_id WHERE a.applied_date <= %(d)s
    UNION ALL
    SELECT p.account_id, p.currency, -r.amount FROM billing_refund r
      JOIN billing_payment p ON p.id = r.payment_id WHERE r.refund_date <= %(d)s
    UNION ALL
    SELECT i.account_id, n.currency, n.on_account_amount FROM billing_creditnote n
      JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.credit_date <= %(d)s AND n.on_account_amount > 0
    UNION ALL
    SELECT i.account_id, i.currency, -ca.amount FROM billing_creditapplication ca
      JOIN billing_invoice i ON i.id = ca.invoice_id WHERE ca.applied_date <= %(d)s
      AND i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(d)s
    UNION ALL
    SELECT i.account_id, n.currency, -r.amount FROM billing_creditrefund r
      JOIN billing_creditnote n ON n.id = r.credit_note_id
      JOIN billing_invoice i ON i.id = n.invoice_id WHERE r.refund_date <= %(d)s
  ) movements GROUP BY account_id, currency
)
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


def run_baseline(as_of: date) -> dict:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(BASELINE_SQL, {"d": as_of})
        rows = cur.fetchall()
    return {
        (r[0], r[1]): [Decimal(v) for v in r[2:]]
        for r in rows
        if any(Decimal(v) != 0 for v in r[2:])
    }


CASH_SQL = """
  SELECT account_id, currency, sum(amount) AS unapplied FROM (
    SELECT account_id, currency, amount - applied_amount - refunded_amount AS amount
      FROM billing_payment
      WHERE received_date <= %(d)s AND amount <> applied_amount + refunded_amount
    UNION ALL
    SELECT p.account_id, p.currency, m.amount FROM (
      SELECT payment_id, amount FROM billing_paymentapplication WHERE applied_date > %(d)s
      UNION ALL SELECT payment_id, amount FROM billing_refund WHERE refund_date > %(d)s
    ) m JOIN billing_payment p ON p.id = m.payment_id WHERE p.received_date <= %(d)s
    UNION ALL
    SELECT i.account_id, n.currency, n.on_account_amount - n.applied_amount - n.refunded_amount
      FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.credit_date <= %(d)s AND n.on_account_amount > 0
        AND n.on_account_amount <> n.applied_amount + n.refunded_amount
    UNION ALL
    SELECT i.account_id, n.currency, m.amount FROM (
      SELECT credit_note_id, amount FROM billing_creditapplication WHERE applied_date > %(d)s
      UNION ALL SELECT credit_note_id, amount FROM billing_creditrefund
        WHERE refund_date > %(d)s
    ) m JOIN billing_creditnote n ON n.id = m.credit_note_id
      JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.credit_date <= %(d)s AND n.on_account_amount > 0
  ) movements GROUP BY account_id, currency
"""

TUNED_SQL = f"""
WITH later AS (
  SELECT invoice_id, sum(amount) AS s FROM (
    SELECT invoice_id, amount FROM billing_paymentapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, amount FROM billing_creditapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
      WHERE credit_date > %(d)s
  ) m GROUP BY invoice_id
), buckets AS (
  SELECT account_id, currency,
    sum(open) FILTER (WHERE due_date >= %(d)s) AS b0,
    sum(open) FILTER (WHERE due_date < %(d)s AND due_date >= %(d)s::date - 30) AS b1,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 30 AND due_date >= %(d)s::date - 60) AS b2,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 60 AND due_date >= %(d)s::date - 90) AS b3,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 90 AND due_date >= %(d)s::date - 120)
      AS b4,
    sum(open) FILTER (WHERE due_date < %(d)s::date - 120) AS b5
  FROM (
    SELECT i.account_id, i.currency, i.due_date,
           i.total_amount - i.credited_amount - i.paid_amount + coalesce(later.s, 0) AS open
    FROM billing_invoice i LEFT JOIN later ON later.invoice_id = i.id
    WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(d)s
  ) docs GROUP BY account_id, currency
), cash AS ({CASH_SQL})
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


# The best hand-written SQL for the same figures with the same schema: each customer's
# maintained open balance (billing_accountopenbalance) in the oldest bucket, each open
# invoice due in the last 120 days (or dated after the date) moved from there to its own
# bucket, and the movements dated after the date added back to their invoice's bucket.
BALANCES_SQL = """
WITH parts AS (
  SELECT account_id, currency, 5 AS k, open_amount AS amount
    FROM billing_accountopenbalance WHERE open_invoices > 0
  UNION ALL
  SELECT i.account_id, i.currency, v.k, v.amount
  FROM billing_invoice i CROSS JOIN LATERAL (VALUES
    (5, -(i.total_amount - i.credited_amount - i.paid_amount)),
    (CASE WHEN i.invoice_date > %(d)s THEN NULL WHEN i.due_date >= %(d)s THEN 0
          ELSE least(5, 1 + (%(d)s::date - i.due_date - 1) / 30) END,
     i.total_amount - i.credited_amount - i.paid_amount)) v (k, amount)
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void')
    AND i.total_amount - i.credited_amount - i.paid_amount > 0
    AND i.due_date >= %(d)s::date - 120
  UNION ALL
  SELECT i.account_id, i.currency, v.k, v.amount
  FROM billing_invoice i CROSS JOIN LATERAL (VALUES
    (5, -(i.total_amount - i.credited_amount - i.paid_amount))) v (k, amount)
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void')
    AND i.total_amount - i.credited_amount - i.paid_amount > 0
    AND i.invoice_date > %(d)s AND i.due_date < %(d)s::date - 120
  UNION ALL
  SELECT i.account_id, i.currency,
    CASE WHEN i.due_date >= %(d)s THEN 0
         ELSE least(5, 1 + (%(d)s::date - i.due_date - 1) / 30) END, m.amount
  FROM (
    SELECT invoice_id, amount FROM billing_paymentapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, amount FROM billing_creditapplication WHERE applied_date > %(d)s
    UNION ALL SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
      WHERE credit_date > %(d)s
  ) m JOIN billing_invoice i ON i.id = m.invoice_id
  WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(d)s
), buckets AS (
  SELECT account_id, currency,
    sum(amount) FILTER (WHERE k = 0) AS b0, sum(amount) FILTER (WHERE k = 1) AS b1,
    sum(amount) FILTER (WHERE k = 2) AS b2, sum(amount) FILTER (WHERE k = 3) AS b3,
    sum(amount) FILTER (WHERE k = 4) AS b4, sum(amount) FILTER (WHERE k = 5) AS b5
  FROM parts GROUP BY account_id, currency
), cash AS ({{CASH_FROM_BALANCES_SQL}})
SELECT coalesce(b.account_id, c.account_id), coalesce(b.currency, c.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(b5, 0), -coalesce(c.unapplied, 0)
FROM buckets b FULL OUTER JOIN cash c
  ON c.account_id = b.account_id AND c.currency = b.currency
"""


def balances_sql() -> str:
    """BALANCES_SQL with its unapplied part: the customers' maintained unapplied amounts
    through the product's own statement (billing.selectors.ar_as_of.
    UNAPPLIED_FROM_BALANCES_SQL), as there is no shorter way to those figures on this
    schema (imported once Django is set up)."""
    from billing.selectors.ar_as_of import UNAPPLIED_FROM_BALANCES_SQL

    cash = UNAPPLIED_FROM_BALANCES_SQL.replace("%(as_of)s", "%(d)s")
    return BALANCES_SQL.replace("{{CASH_FROM_BALANCES_SQL}}", cash)


# The hand-written SQL on the customers' monthly movements (billing_accountmonthlymovement):
# one statement, each customer's open and unapplied amounts as of the date from the months
# on the shorter side of it plus one month of movements, and the invoices of the recent
# buckets one by one from a window of dates; the oldest bucket is the rest. Its {totals}
# and {young} parts are the product's (billing.selectors.ar_window), with their
# parameters; no Python between them.
MONTHS_SQL = """
WITH totals AS ({totals}), young AS (
  SELECT account_id, currency,
    sum(amount) FILTER (WHERE due_date >= %(d)s) AS b0,
    sum(amount) FILTER (WHERE due_date < %(d)s AND due_date >= %(d)s::date - 30) AS b1,
    sum(amount) FILTER (WHERE due_date < %(d)s::date - 30 AND due_date >= %(d)s::date - 60)
      AS b2,
    sum(amount) FILTER (WHERE due_date < %(d)s::date - 60 AND due_date >= %(d)s::date - 90)
      AS b3,
    sum(amount) FILTER (WHERE due_date < %(d)s::date - 90) AS b4, sum(amount) AS amount
  FROM ({young}) y GROUP BY account_id, currency
)
SELECT coalesce(t.account_id, y.account_id), coalesce(t.currency, y.currency),
       coalesce(b0, 0), coalesce(b1, 0), coalesce(b2, 0), coalesce(b3, 0), coalesce(b4, 0),
       coalesce(t.open_amount, 0) - coalesce(y.amount, 0), -coalesce(t.unapplied_amount, 0)
FROM totals t FULL OUTER JOIN young y ON y.account_id = t.account_id AND y.currency = t.currency
"""


def run_months_sql(as_of: date) -> dict:
    from django.db import connection, transaction

    from billing.selectors.ar_window import totals_as_of, tune_window_transaction, young_as_of

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute("SET LOCAL jit = off")
        tune_window_transaction(cur)
        totals = totals_as_of(cur, as_of)
        young = young_as_of(cur, as_of, "due_date", 120)
        sql = MONTHS_SQL.format(totals=totals.sql, young=young.sql)
        cur.execute(sql, {"d": as_of} | totals.params | young.params)
        rows = cur.fetchall()
    return {
        (r[0], r[1]): [Decimal(v) for v in r[2:]]
        for r in rows
        if any(Decimal(v) != 0 for v in r[2:])
    }


def run_sql(sql: str, as_of: date) -> dict:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute("SET LOCAL jit = off")
        cur.execute(sql, {"d": as_of})
        rows = cur.fetchall()
    return {
        (r[0], r[1]): [Decimal(v) for v in r[2:]]
        for r in rows
        if any(Decimal(v) != 0 for v in r[2:])
    }
