"""What is open on a date: the one "as of" rule of accounts receivable
(research/accounting-conventions.md section 5.4, the "Report Date" method). The aging,
its document drill-down (and the export built on it) and DSO all read the book through
the movements below, so they cannot disagree about what was open at the end of a day.

As of the end of day D:

- an invoice counts if it was issued (void ones too: their void credit note counts by
  its own date; a discarded draft is void without a number) and is dated on or before D;
- every other movement counts from its own date and, when it belongs to an invoice, not
  before that invoice counts: a row counts as of D when both dates are on or before D;
- a credit note takes off its own invoice the part that invoice still owed when it was
  issued; the rest went on account (unapplied credit) until applied or refunded;
- a reversal is a negative application, so it counts by its own date as well.

Open invoices (gross AR) = invoices - credit notes on them - payment applications -
credit applications. Unapplied cash and credit = payments - refunds + credit on account -
credit refunds - applications (an application both settles its invoice and uses up its
payment or credit note). Net AR = gross AR - unapplied.

Each movement knows its amount, its own date, its currency and account (through the
path that a report groups by) and its sign in the two balances. Callers shape the sums
as they need (grouped per customer and bucket, per day, or per document).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import models
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest

from billing.models import (
    CreditApplication,
    CreditNote,
    CreditRefund,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    Refund,
)

from .common import MONEY_FIELD

ZERO = Decimal("0")

# What a credit note took off its own invoice; the rest went on account.
NOTE_CREDIT_ON_INVOICE = F("total_amount") - F("on_account_amount")


def issued_invoice_q(prefix: str = "", *, as_of: date | None = None) -> Q:
    """Invoices that were issued (void ones too), dated on or before as_of if given;
    `prefix` is the path to the invoice ("invoice__")."""
    q = Q(
        **{
            f"{prefix}number__isnull": False,
            f"{prefix}status__in": [InvoiceStatus.ISSUED, InvoiceStatus.VOID],
        }
    )
    if as_of is not None:
        q &= Q(**{f"{prefix}invoice_date__lte": as_of})
    return q


@dataclass(frozen=True)
class ArMovement:
    """One kind of row in the book that moves an AR balance."""

    name: str
    model: type[models.Model]
    amount: str | Combinable
    date_field: str  # the row's own date
    currency_field: str
    account_field: str
    gross: int  # its sign in open invoices (gross AR), 0 if none
    unapplied: int  # its sign in unapplied cash and credit, 0 if none
    invoice: str | None = None  # path to the invoice it belongs to ("" the invoice itself)
    draws_on: str | None = None  # the payment or credit note whose unapplied part it uses
    where: Q = field(default_factory=Q)

    @property
    def invoice_prefix(self) -> str:
        return f"{self.invoice}__" if self.invoice else ""

    def counts_from(self) -> Combinable:
        """The day from which the row counts: its own date, or its invoice's if later."""
        if self.invoice:
            return Greatest(self.date_field, f"{self.invoice}__invoice_date")
        return F(self.date_field)

    def rows(
        self,
        *,
        as_of: date | None = None,
        currency: str | None = None,
        account_id: int | None = None,
    ) -> QuerySet:
        """The rows of this movement that count as of `as_of` (every date if None)."""
        queryset = self.model.objects.filter(self.where)
        if self.invoice is not None:
            queryset = queryset.filter(issued_invoice_q(self.invoice_prefix, as_of=as_of))
        if as_of is not None:
            queryset = queryset.filter(**{f"{self.date_field}__lte": as_of})
        if currency:
            queryset = queryset.filter(**{self.currency_field: currency})
        if account_id is not None:
            queryset = queryset.filter(**{self.account_field: account_id})
        return queryset

    def sum_per(self, correlate: str, as_of: date) -> Coalesce:
        """SUM(amount) of the rows counted as of `as_of` that belong to the outer row
        (`correlate`: "invoice", "payment" or "credit_note"), zero if none. Rows that
        belong to the outer invoice count once their own date has come (the outer
        invoice itself is counted by the caller)."""
        queryset = self.model.objects.filter(
            self.where, **{correlate: OuterRef("pk"), f"{self.date_field}__lte": as_of}
        )
        if self.invoice and correlate != self.invoice:
            queryset = queryset.filter(issued_invoice_q(self.invoice_prefix, as_of=as_of))
        sums = queryset.values(correlate).annotate(total=Sum(self.amount)).values("total")
        return Coalesce(Subquery(sums[:1]), Value(ZERO), output_field=MONEY_FIELD)


INVOICED = ArMovement(
    "invoiced", Invoice, "total_amount", "invoice_date", "currency", "account_id", 1, 0, ""
)
CREDITED = ArMovement(
    "credited",
    CreditNote,
    NOTE_CREDIT_ON_INVOICE,
    "credit_date",
    "invoice__currency",
    "invoice__account_id",
    -1,
    0,
    "invoice",
)
PAID = ArMovement(
    "paid",
    PaymentApplication,
    "amount",
    "applied_date",
    "invoice__currency",
    "invoice__account_id",
    -1,
    -1,
    "invoice",
    draws_on="payment",
)
CREDIT_APPLIED = ArMovement(
    "credit_applied",
    CreditApplication,
    "amount",
    "applied_date",
    "invoice__currency",
    "invoice__account_id",
    -1,
    -1,
    "invoice",
    draws_on="credit_note",
)
RECEIVED = ArMovement(
    "received", Payment, "amount", "received_date", "currency", "account_id", 0, 1
)
REFUNDED = ArMovement(
    "refunded",
    Refund,
    "amount",
    "refund_date",
    "payment__currency",
    "payment__account_id",
    0,
    -1,
    draws_on="payment",
)
PUT_ON_ACCOUNT = ArMovement(
    "put_on_account",
    CreditNote,
    "on_account_amount",
    "credit_date",
    "currency",
    "invoice__account_id",
    0,
    1,
    where=Q(on_account_amount__gt=0),
)
CREDIT_REFUNDED = ArMovement(
    "credit_refunded",
    CreditRefund,
    "amount",
    "refund_date",
    "credit_note__currency",
    "credit_note__invoice__account_id",
    0,
    -1,
    draws_on="credit_note",
)

# Every movement of the book, invoices first.
AR_MOVEMENTS: tuple[ArMovement, ...] = (
    INVOICED,
    CREDITED,
    PAID,
    CREDIT_APPLIED,
    RECEIVED,
    REFUNDED,
    PUT_ON_ACCOUNT,
    CREDIT_REFUNDED,
)


# Each invoice's open amount as of the end of %(as_of)s, as one SQL row per invoice that
# counts (the rule above): what the maintained settlement columns say today, plus back
# whatever was dated after as_of. Services keep `paid_amount` = SUM(payment applications)
# and `credited_amount` = SUM(credit notes' part on the invoice) + SUM(credit
# applications), under the invoice's lock, so the two give the same figure as summing
# the movements dated on or before as_of; but a day near today reads only the few rows
# dated after it (an index range on their date), not every application of the book.
# Columns: id, account_id, currency, invoice_date, due_date, status, open_amount.
INVOICE_OPEN_AS_OF_SQL = """
SELECT i.id, i.account_id, i.currency, i.invoice_date, i.due_date, i.status,
       i.total_amount - i.credited_amount - i.paid_amount + coalesce(later.amount, 0)
         AS open_amount
FROM billing_invoice i
LEFT JOIN (
  SELECT invoice_id, sum(amount) AS amount FROM (
    SELECT invoice_id, amount FROM billing_paymentapplication
      WHERE applied_date > %(as_of)s
    UNION ALL
    SELECT invoice_id, amount FROM billing_creditapplication
      WHERE applied_date > %(as_of)s
    UNION ALL
    SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
      WHERE credit_date > %(as_of)s
  ) dated_later GROUP BY invoice_id
) later ON later.invoice_id = i.id
WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(as_of)s
"""

# The same open amounts in parts, for callers that only sum them (the aging's buckets):
# one row per invoice that counts at what its settlement columns say today, plus one row
# per movement dated after as_of on such an invoice. Summing needs no join of the whole
# book against the later movements (the slow step of the query above at 1M invoices):
# the invoices are an index-only scan of billing_invoice_issued_as_of, the later
# movements a short range on their date joined to their invoice. Same columns as above.
INVOICE_OPEN_PARTS_AS_OF_SQL = """
SELECT i.id, i.account_id, i.currency, i.invoice_date, i.due_date, i.status,
       i.total_amount - i.credited_amount - i.paid_amount AS open_amount
FROM billing_invoice i
WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(as_of)s
UNION ALL
SELECT i.id, i.account_id, i.currency, i.invoice_date, i.due_date, i.status, later.amount
FROM (
  SELECT invoice_id, amount FROM billing_paymentapplication WHERE applied_date > %(as_of)s
  UNION ALL
  SELECT invoice_id, amount FROM billing_creditapplication WHERE applied_date > %(as_of)s
  UNION ALL
  SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
    WHERE credit_date > %(as_of)s
) later JOIN billing_invoice i ON i.id = later.invoice_id
WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(as_of)s
"""


def sql_amount(value) -> Decimal:
    """An amount read by raw SQL as a Decimal. PostgreSQL returns numeric as Decimal; the
    SQLite demo returns sums of its 4-place decimals as floats, which are brought back to
    the 4 places they are stored with (as Django's own SQLite converter does)."""
    if value is None:
        return ZERO
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(value)).quantize(Decimal("0.0001"))


def sql_date(value) -> date:
    """A date read by raw SQL (SQLite returns dates as ISO strings)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def tune_report_transaction(cursor) -> None:
    """Session settings for one AR report pass over the whole book, inside its
    transaction (SET LOCAL ends with it): enough work_mem that the per-account hash
    aggregates and joins stay in memory rather than spill to disk, and no JIT, whose
    compile time (about 0.5 s here) costs more than it saves on these short passes."""
    if cursor.db.vendor == "postgresql":  # the SQLite demo has neither setting
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL jit = off")


# What payments and credit on account dated on or before %(as_of)s applied or refunded
# after it: added back to what they have left, by both unapplied readings below.
PAID_OUT_AFTER = """  SELECT p.account_id, p.currency, later.amount
  FROM (
    SELECT payment_id, amount FROM billing_paymentapplication WHERE applied_date > %(as_of)s
    UNION ALL
    SELECT payment_id, amount FROM billing_refund WHERE refund_date > %(as_of)s
  ) later JOIN billing_payment p ON p.id = later.payment_id
  WHERE p.received_date <= %(as_of)s"""
CREDITED_OUT_AFTER = """  SELECT i.account_id, n.currency, later.amount
  FROM (
    SELECT credit_note_id, amount FROM billing_creditapplication
      WHERE applied_date > %(as_of)s
    UNION ALL
    SELECT credit_note_id, amount FROM billing_creditrefund WHERE refund_date > %(as_of)s
  ) later JOIN billing_creditnote n ON n.id = later.credit_note_id
    JOIN billing_invoice i ON i.id = n.invoice_id
  WHERE n.credit_date <= %(as_of)s AND n.on_account_amount > 0"""

# Unapplied cash and credit as of the end of %(as_of)s per (account_id, currency), by the
# same identity: what payments and credit on account have left today (their maintained
# `applied_amount` and `refunded_amount`) plus back what was applied or refunded after
# as_of. An application or refund is never dated before its payment or credit note
# (the services refuse it), so those dated after as_of are the whole difference. Only
# documents with something left today are read in full (a partial index holds them).
UNAPPLIED_AS_OF_SQL = f"""
SELECT account_id, currency, sum(amount) AS unapplied FROM (
  SELECT p.account_id, p.currency, p.amount - p.applied_amount - p.refunded_amount AS amount
  FROM billing_payment p
  WHERE p.received_date <= %(as_of)s AND p.amount <> p.applied_amount + p.refunded_amount
  UNION ALL
{PAID_OUT_AFTER}
  UNION ALL
  SELECT i.account_id, n.currency, n.on_account_amount - n.applied_amount - n.refunded_amount
  FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
  WHERE n.credit_date <= %(as_of)s AND n.on_account_amount > 0
    AND n.on_account_amount <> n.applied_amount + n.refunded_amount
  UNION ALL
{CREDITED_OUT_AFTER}
) movements
GROUP BY account_id, currency
"""


# --- From the maintained open balances (PostgreSQL) -----------------------------------
# Each customer's open invoices per currency are kept in billing_accountopenbalance
# (billing.models.open_balances) by triggers, in the same transaction as every change of
# an invoice's settlement. What was open as of a date D is then that figure, less the
# open invoices that D places elsewhere (dated after D, or within a range of recent dates
# that the caller reads one by one: an index range of the open invoices), plus back the
# movements dated after D. Only the recent range and the later movements are read row by
# row, not the whole book. Exact for every D, like the passes above: each part is a sum
# of the same per-invoice figures.
OPEN_INVOICE = (
    "i.number IS NOT NULL AND i.status IN ('issued', 'void') "
    "AND i.total_amount - i.credited_amount - i.paid_amount > 0"
)

# Rows (part, account_id, currency, due_date, invoice_date, amount): part 'rest' is a
# customer's whole open balance today, 'range' an open invoice of the range with its open
# amount today (the caller moves it from the rest into its own bucket when it is dated
# on or before D), 'later' a movement dated after D on an invoice dated on or before D.
# {ranges}: one branch per condition on i that the caller gives (open_parts_sql).
OPEN_PARTS_FROM_BALANCES_SQL = """
SELECT 'rest' AS part, b.account_id, b.currency, NULL AS due_date, NULL AS invoice_date,
       b.open_amount AS amount
FROM billing_accountopenbalance b WHERE b.open_invoices > 0
{ranges}
UNION ALL
SELECT 'later', i.account_id, i.currency, i.due_date, i.invoice_date, later.amount
FROM (
  SELECT invoice_id, amount FROM billing_paymentapplication WHERE applied_date > %(as_of)s
  UNION ALL
  SELECT invoice_id, amount FROM billing_creditapplication WHERE applied_date > %(as_of)s
  UNION ALL
  SELECT invoice_id, total_amount - on_account_amount FROM billing_creditnote
    WHERE credit_date > %(as_of)s
) later JOIN billing_invoice i ON i.id = later.invoice_id
WHERE i.number IS NOT NULL AND i.status IN ('issued', 'void') AND i.invoice_date <= %(as_of)s
"""


OPEN_RANGE_SQL = f"""
UNION ALL
SELECT 'range', i.account_id, i.currency, i.due_date, i.invoice_date,
       i.total_amount - i.credited_amount - i.paid_amount
FROM billing_invoice i WHERE {OPEN_INVOICE} AND """


def open_parts_sql(ranges: list[str]) -> str:
    """OPEN_PARTS_FROM_BALANCES_SQL with one 'range' branch per condition (each a range of
    one indexed date, so that each branch is an index range, not a scan)."""
    return OPEN_PARTS_FROM_BALANCES_SQL.format(
        ranges="".join(f"{OPEN_RANGE_SQL}({condition})" for condition in ranges)
    )


def reads_open_balances(cursor) -> bool:
    """The maintained balances exist on PostgreSQL only (the SQLite demo reads the
    invoices)."""
    return cursor.db.vendor == "postgresql"


# Whether anything that counts moved after %(as_of)s: a movement on an invoice dated
# after it, or an open invoice dated after it but due before it. Without either, each
# invoice's open amount as of the date is today's (index lookups, no scan).
MOVED_AFTER_SQL = f"""
SELECT EXISTS (SELECT 1 FROM billing_paymentapplication WHERE applied_date > %(as_of)s)
    OR EXISTS (SELECT 1 FROM billing_creditapplication WHERE applied_date > %(as_of)s)
    OR EXISTS (SELECT 1 FROM billing_creditnote WHERE credit_date > %(as_of)s)
    OR EXISTS (SELECT 1 FROM billing_invoice i WHERE {OPEN_INVOICE}
               AND i.invoice_date > %(as_of)s AND i.due_date < %(as_of)s)
"""

# Unapplied cash and credit as of %(as_of)s per (account_id, currency) from each
# customer's maintained unapplied amount (what is left today), less what payments and
# credit notes dated after the date have left (they did not exist then: an index range),
# plus back what was applied or refunded after the date (as UNAPPLIED_AS_OF_SQL).
UNAPPLIED_FROM_BALANCES_SQL = f"""
SELECT account_id, currency, sum(amount) AS unapplied FROM (
  SELECT b.account_id, b.currency, b.unapplied_amount AS amount
  FROM billing_accountopenbalance b WHERE b.unapplied_amount <> 0
  UNION ALL
  SELECT p.account_id, p.currency, -(p.amount - p.applied_amount - p.refunded_amount)
  FROM billing_payment p
  WHERE p.received_date > %(as_of)s AND p.amount <> p.applied_amount + p.refunded_amount
  UNION ALL
{PAID_OUT_AFTER}
  UNION ALL
  SELECT i.account_id, n.currency,
         -(n.on_account_amount - n.applied_amount - n.refunded_amount)
  FROM billing_creditnote n JOIN billing_invoice i ON i.id = n.invoice_id
  WHERE n.credit_date > %(as_of)s AND n.on_account_amount > 0
    AND n.on_account_amount <> n.applied_amount + n.refunded_amount
  UNION ALL
{CREDITED_OUT_AFTER}
) movements
GROUP BY account_id, currency
"""
