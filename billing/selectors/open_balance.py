"""The maintained open balances against the movements they summarise.

Every writer of a movement keeps the settled figures of the documents it touches in the
same transaction, under the documents' locks (billing/services/payments.py, credits.py,
credit_notes.py, opening_balances.py, the write-offs and the bank and Stripe paths, which
go through those services):

- an invoice's `paid_amount` = SUM(its payment applications, reversals negative) and its
  `credited_amount` = SUM(its credit notes' part on the invoice) + SUM(credit applied to
  it), so its open balance today is `total_amount - credited_amount - paid_amount`;
- a payment's `applied_amount` and `refunded_amount` = SUM(its applications) and
  SUM(its refunds); a credit note's the same of its credit applications and refunds.

The AR reports read these figures for today and roll them back by the movements dated
after a past date (billing.selectors.ar_as_of), so they are only as right as this
identity. `open_balance_mismatches` checks it over the whole book (one grouped pass per
table) and lists every document where it does not hold; `manage.py check_open_balances`
runs it, and also compares each customer's open balance per currency kept by the
triggers (billing.models.open_balances) with its open invoices, the daily AR totals and
each customer's monthly movements with the movements, and lists any application dated
before its invoice (the past-date aging reads applications from their invoice's date
on). Opening balances imported with a part settled before the cut-over carry that part
as a payment applied on the cut-over date (billing/services/opening_balances.py), so
they obey the same identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import TruncMonth

from billing.models import ArDailyTotal, CreditNote, Invoice

from .ar_as_of import AR_MOVEMENTS, ZERO, issued_invoice_q, sql_amount, sql_date

# One row per document whose maintained figures differ from its movements:
# (kind, id, maintained figures..., figures from the movements...).
INVOICE_MISMATCH_SQL = """
SELECT i.id, i.paid_amount, i.credited_amount, coalesce(p.amount, 0), coalesce(c.amount, 0)
FROM billing_invoice i
LEFT JOIN (
  SELECT invoice_id, sum(amount) AS amount FROM billing_paymentapplication GROUP BY invoice_id
) p ON p.invoice_id = i.id
LEFT JOIN (
  SELECT invoice_id, sum(amount) AS amount FROM (
    SELECT invoice_id, total_amount - on_account_amount AS amount FROM billing_creditnote
    UNION ALL
    SELECT invoice_id, amount FROM billing_creditapplication
  ) credited GROUP BY invoice_id
) c ON c.invoice_id = i.id
WHERE (i.paid_amount <> coalesce(p.amount, 0) OR i.credited_amount <> coalesce(c.amount, 0))
"""

SOURCE_MISMATCH_SQL = """
SELECT d.id, d.applied_amount, d.refunded_amount, coalesce(a.amount, 0), coalesce(r.amount, 0)
FROM {documents} d
LEFT JOIN (
  SELECT {key}, sum(amount) AS amount FROM {applications} GROUP BY {key}
) a ON a.{key} = d.id
LEFT JOIN (
  SELECT {key}, sum(amount) AS amount FROM {refunds} GROUP BY {key}
) r ON r.{key} = d.id
WHERE d.applied_amount <> coalesce(a.amount, 0) OR d.refunded_amount <> coalesce(r.amount, 0)
"""

# Customers' maintained open balances (billing_accountopenbalance, PostgreSQL) against
# their open invoices: (account_id, currency) and both sides' (amount, count, oldest).
ACCOUNT_MISMATCH_SQL = """
SELECT coalesce(b.account_id, i.account_id), coalesce(b.currency, i.currency),
       coalesce(b.open_amount, 0), coalesce(b.open_invoices, 0), b.oldest_due_date,
       coalesce(i.amount, 0), coalesce(i.invoices, 0), i.oldest
FROM (SELECT * FROM billing_accountopenbalance WHERE open_invoices <> 0 OR open_amount <> 0) b
FULL OUTER JOIN (
  SELECT account_id, currency, sum(total_amount - credited_amount - paid_amount) AS amount,
         count(*) AS invoices, min(due_date) AS oldest
  FROM billing_invoice
  WHERE number IS NOT NULL AND status IN ('issued', 'void')
    AND total_amount - credited_amount - paid_amount > 0
  GROUP BY account_id, currency
) i ON i.account_id = b.account_id AND i.currency = b.currency
WHERE (coalesce(b.open_amount, 0), coalesce(b.open_invoices, 0), b.oldest_due_date)
  IS DISTINCT FROM (coalesce(i.amount, 0), coalesce(i.invoices, 0), i.oldest)
"""

# Customers' maintained unapplied cash and credit against what their payments and credit
# notes have left: (account_id, currency, maintained, from the documents).
UNAPPLIED_MISMATCH_SQL = """
SELECT coalesce(b.account_id, l.account_id), coalesce(b.currency, l.currency),
       coalesce(b.unapplied_amount, 0), coalesce(l.amount, 0)
FROM billing_accountopenbalance b
FULL OUTER JOIN (
  SELECT account_id, currency, sum(amount) AS amount FROM (
    SELECT account_id, currency, amount - applied_amount - refunded_amount AS amount
      FROM billing_payment
    UNION ALL
    SELECT i.account_id, n.currency, n.on_account_amount - n.applied_amount - n.refunded_amount
      FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
      WHERE n.on_account_amount > 0
  ) left_today GROUP BY account_id, currency
) l ON l.account_id = b.account_id AND l.currency = b.currency
WHERE coalesce(b.unapplied_amount, 0) <> coalesce(l.amount, 0)
"""

# Applications dated before their invoice (the services refuse them): the aging of a past
# date reads an invoice's applications from its own date on (billing.selectors.
# ar_window): (table, id, applied date, invoice date).
EARLY_APPLICATION_SQL = """
SELECT 'payment', a.id, a.applied_date, i.invoice_date
FROM billing_paymentapplication a JOIN billing_invoice i ON i.id = a.invoice_id
WHERE a.applied_date < i.invoice_date
UNION ALL
SELECT 'credit', a.id, a.applied_date, i.invoice_date
FROM billing_creditapplication a JOIN billing_invoice i ON i.id = a.invoice_id
WHERE a.applied_date < i.invoice_date
"""

SOURCES = {
    "payment": ("billing_payment", "payment_id", "billing_paymentapplication", "billing_refund"),
    "credit_note": (
        "billing_creditnote",
        "credit_note_id",
        "billing_creditapplication",
        "billing_creditrefund",
    ),
}


@dataclass(frozen=True)
class BalanceMismatch:
    """A document whose maintained figures are not the sums of its movements. For an
    invoice the figures are (paid, credited); for a payment or credit note (applied,
    refunded)."""

    kind: str  # "invoice", "payment", "credit_note", "account" or "day"
    document_id: int
    maintained: tuple[Decimal, Decimal]
    from_movements: tuple[Decimal, Decimal]
    detail: str = ""

    def __str__(self) -> str:
        names = {
            "invoice": ("paid", "credited"),
            "account": ("open amount", "open invoices"),
            "day": ("gross", "unapplied"),
            "month": ("open", "unapplied"),
        }.get(self.kind, ("applied", "refunded"))
        parts = [
            f"{name} {kept} (movements say {summed})"
            for name, kept, summed in zip(names, self.maintained, self.from_movements, strict=True)
            if kept != summed
        ]
        if self.detail:
            parts.append(self.detail)
        return f"{self.kind} #{self.document_id}: " + ", ".join(parts)


def _mismatches(kind: str, sql: str) -> list[BalanceMismatch]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return [
        BalanceMismatch(
            kind,
            row[0],
            (sql_amount(row[1]), sql_amount(row[2])),
            (sql_amount(row[3]), sql_amount(row[4])),
        )
        for row in rows
    ]


def open_balance_mismatches() -> list[BalanceMismatch]:
    """Every invoice, payment and credit note whose maintained figures differ from the
    sums of its movements, by kind then id (empty when the book is consistent)."""
    found = _mismatches("invoice", INVOICE_MISMATCH_SQL)
    for kind, (documents, key, applications, refunds) in SOURCES.items():
        sql = SOURCE_MISMATCH_SQL.format(
            documents=documents, key=key, applications=applications, refunds=refunds
        )
        found += _mismatches(kind, sql)
    if connection.vendor == "postgresql":  # kept by triggers there only
        found += account_mismatches() + daily_total_mismatches() + monthly_mismatches()
    found += early_applications()
    return sorted(found, key=lambda m: (m.kind, m.document_id))


def account_mismatches() -> list[BalanceMismatch]:
    """Customers whose maintained open balance per currency differs from their open
    invoices (kind "account", the account id; figures (amount, count) and the oldest due
    date in `detail`), or whose unapplied amount differs from what their payments and
    credit notes have left (both figures in `detail`)."""
    with connection.cursor() as cursor:
        cursor.execute(ACCOUNT_MISMATCH_SQL)
        rows = cursor.fetchall()
        cursor.execute(UNAPPLIED_MISMATCH_SQL)
        unapplied = cursor.fetchall()
    return [
        BalanceMismatch(
            "account",
            row[0],
            (sql_amount(row[2]), Decimal(row[3])),
            (sql_amount(row[5]), Decimal(row[6])),
            detail=f"{row[1]}, oldest due {row[4]} (invoices say {row[7]})",
        )
        for row in rows
    ] + [
        BalanceMismatch(
            "account",
            row[0],
            (ZERO, ZERO),
            (ZERO, ZERO),
            detail=f"{row[1]} unapplied {row[2]} (payments and credit notes say {row[3]})",
        )
        for row in unapplied
    ]


def _daily_from_movements() -> dict[tuple[str, date], list[Decimal]]:
    """{(currency, day): [gross, unapplied, sales]} summed from every movement by the
    rule the DSO reads (billing.selectors.ar_as_of.AR_MOVEMENTS; credit sales are issued
    invoices by their date less their credit notes by theirs)."""
    totals: dict[tuple[str, date], list[Decimal]] = {}

    def add(rows, currency_field: str, day, amount, signs: tuple[int, int, int]) -> None:
        grouped = (
            rows.annotate(counts_from=day)
            .values(currency_field, "counts_from")
            .annotate(total=Sum(amount))
            .order_by()
        )
        for row in grouped:
            sums = totals.setdefault((row[currency_field], row["counts_from"]), [ZERO] * 3)
            for slot, sign in enumerate(signs):
                sums[slot] += sign * row["total"]

    for movement in AR_MOVEMENTS:
        add(
            movement.rows(),
            movement.currency_field,
            movement.counts_from(),
            movement.amount,
            (movement.gross, movement.unapplied, 0),
        )
    add(Invoice.objects.filter(issued_invoice_q()), "currency", F("invoice_date"),
        "total_amount", (0, 0, 1))  # fmt: skip
    add(CreditNote.objects.filter(issued_invoice_q("invoice__")), "currency",
        F("credit_date"), "total_amount", (0, 0, -1))  # fmt: skip
    return totals


def daily_total_mismatches() -> list[BalanceMismatch]:
    """Days whose maintained AR totals (billing.models.ArDailyTotal) differ from the sums
    of the movements counted from that day (kind "day", no id; figures (gross,
    unapplied) and the sales in `detail`)."""
    expected = {key: sums for key, sums in _daily_from_movements().items() if any(sums)}
    kept = {
        (code, day): [gross, unapplied, sales]
        for code, day, gross, unapplied, sales in ArDailyTotal.objects.values_list(
            "currency", "day", "gross_amount", "unapplied_amount", "sales_amount"
        )
        if gross or unapplied or sales
    }
    found = []
    for key in sorted(set(expected) | set(kept)):
        mine, theirs = kept.get(key, [ZERO] * 3), expected.get(key, [ZERO] * 3)
        if mine != theirs:
            found.append(
                BalanceMismatch(
                    "day",
                    0,
                    (mine[0], mine[1]),
                    (theirs[0], theirs[1]),
                    detail=f"{key[0]} {key[1]}: sales {mine[2]} (movements say {theirs[2]})",
                )
            )
    return found


def early_applications() -> list[BalanceMismatch]:
    """Payment and credit applications dated before their invoice (kind
    "early_application", the application's id; both dates in `detail`)."""
    with connection.cursor() as cursor:
        cursor.execute(EARLY_APPLICATION_SQL)
        rows = cursor.fetchall()
    return [
        BalanceMismatch(
            "early_application",
            row[1],
            (ZERO, ZERO),
            (ZERO, ZERO),
            detail=f"{row[0]} application dated {row[2]}, before its invoice's {row[3]}",
        )
        for row in rows
    ]


def _monthly_from_movements_sql() -> tuple[str, list]:
    """SQL of (account_id, currency, month, open, unapplied) summed from every movement
    by the as-of rule (billing.selectors.ar_as_of.AR_MOVEMENTS), each in the month from
    which it counts: one grouped query per kind of movement, added up in the database
    (the 1M book has ~550k customer months, too many to hold in Python)."""
    parts, params = [], []
    for movement in AR_MOVEMENTS:
        grouped = (
            movement.rows()
            .annotate(month=TruncMonth(movement.counts_from()))
            .values(movement.account_field, movement.currency_field, "month")
            .annotate(total=Sum(movement.amount))
            .order_by()
        )
        sql, more = grouped.query.sql_with_params()
        parts.append(
            f"SELECT a, c, m, {movement.gross} * t, {movement.unapplied} * t "
            f"FROM ({sql}) x{len(parts)} (a, c, m, t)"
        )
        params += more
    return " UNION ALL ".join(parts), params


# Customers' months whose maintained figures differ from the movements': (account_id,
# currency, month, kept open, kept unapplied, open, unapplied).
MONTHLY_MISMATCH_SQL = """
SELECT coalesce(k.account_id, e.a), coalesce(k.currency, e.c), coalesce(k.month, e.m),
       coalesce(k.open_amount, 0), coalesce(k.unapplied_amount, 0),
       coalesce(e.o, 0), coalesce(e.u, 0)
FROM billing_accountmonthlymovement k
FULL OUTER JOIN (
  SELECT a, c, m, sum(o) AS o, sum(u) AS u FROM ({movements}) x (a, c, m, o, u)
  GROUP BY a, c, m
) e ON e.a = k.account_id AND e.c = k.currency AND e.m = k.month
WHERE (coalesce(k.open_amount, 0), coalesce(k.unapplied_amount, 0))
  <> (coalesce(e.o, 0), coalesce(e.u, 0))
ORDER BY 1, 2, 3
"""


def monthly_mismatches() -> list[BalanceMismatch]:
    """Customers' months whose maintained movements (billing.models.
    AccountMonthlyMovement) differ from the movements counted in that month (kind
    "month", the account id; figures (open, unapplied), the currency and month in
    `detail`)."""
    movements, params = _monthly_from_movements_sql()
    with connection.cursor() as cursor:
        cursor.execute(MONTHLY_MISMATCH_SQL.format(movements=movements), params)
        rows = cursor.fetchall()
    return [
        BalanceMismatch(
            "month",
            row[0],
            (sql_amount(row[3]), sql_amount(row[4])),
            (sql_amount(row[5]), sql_amount(row[6])),
            detail=f"{row[1]} {sql_date(row[2]):%Y-%m}",
        )
        for row in rows
    ]
