"""Maintained revenue totals, so that a revenue page for a date reads per-contract days
and months instead of summing every schedule line (issue 20).

Both tables are kept on PostgreSQL by statement triggers on the schedule lines and the
schedule versions (billing.revenue.totals_sql, migration 0006), in the same transaction
as every write: the COPY of a revenue build, a modification's new versions, a delivery,
a cancellation, an admin edit or a delete alike, and one grouped upsert per statement
(not one per line). A line counts from the effective date of its version until that of
the first later version, the rule of `schedules_as_of`, so every past date reads exactly
what the lines give. `manage.py check_revenue_totals` recomputes both from every line.
The SQLite demo gets the tables but no triggers; its reports read the lines.
"""

from __future__ import annotations

from django.db import models

from core.fields import CurrencyField, money_field


def _totals_key(to: str) -> models.ForeignKey:
    """A key of a totals row, derived from the lines by triggers (and recomputed by
    `check_revenue_totals`): no foreign-key check on each trigger's upsert, no index of
    its own."""
    return models.ForeignKey(
        to, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )


class RecognisedRevenueMovement(models.Model):
    """What an accounting contract's recognised revenue to date, and its number of
    counted lines, move by on `day`: the contract's revenue recognised as of D is the sum
    of its movements dated up to D (a line counts from its recognition date or its
    version's effective date, whichever is later, until a later version is known)."""

    contract = _totals_key("ordermgmt.Contract")  # the unique constraint leads with it
    currency = CurrencyField()
    day = models.DateField()
    amount = money_field(default=0)
    lines = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "currency", "day"], name="recognised_revenue_movement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.currency} {self.day}: {self.amount}"


class ScheduledRevenueMonth(models.Model):
    """Revenue scheduled for recognition in `month` (its first day) for a contract's
    product, as known from `known_from`: the waterfall as of D sums the rows known on or
    before D (a later version takes its predecessor's lines off from its own date)."""

    contract = _totals_key("ordermgmt.Contract")  # the unique constraint leads with it
    product = _totals_key("ordermgmt.Product")  # read by contract; products join to it
    currency = CurrencyField()
    month = models.DateField()
    known_from = models.DateField()
    amount = money_field(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "product", "currency", "month", "known_from"],
                name="scheduled_revenue_month_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.product_id} {self.month:%Y-%m}: {self.amount}"


class ScheduledRevenueTotal(models.Model):
    """What a contract's product adds to the revenue scheduled over all months, as known
    from `known_from`: the waterfall counts, orders and pages its (contract, product)
    rows from these, one row per version date instead of one per month."""

    contract = _totals_key("ordermgmt.Contract")  # the unique constraint leads with it
    product = _totals_key("ordermgmt.Product")  # read by contract; products join to it
    currency = CurrencyField()
    known_from = models.DateField()
    amount = money_field(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "product", "currency", "known_from"],
                name="scheduled_revenue_total_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.product_id} from {self.known_from}: {self.amount}"


class ScheduledRevenueCurrencyMonth(models.Model):
    """Revenue scheduled in a currency for `month`, as known from `known_from`: the
    waterfall's column totals without reading every contract's months. Shared by every
    contract of the currency, so append-only: each write adds its change as rows (several
    per key; readers sum them); the nightly `compact_revenue_totals` task folds them."""

    currency = CurrencyField()
    month = models.DateField()
    known_from = models.DateField()
    amount = money_field(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["currency", "known_from", "month"],
                name="scheduled_revenue_currency_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.month:%Y-%m} from {self.known_from}: {self.amount}"


class BilledRevenueMovement(models.Model):
    """What a contract's billed amount (net of tax), and its number of counted invoice and
    credit note lines, move by on `day`: the lines of its issued (or later voided)
    invoices on their invoice date, less its credit note lines on their credit date, the
    balances' billed definition (`billed_by_contract`), kept by triggers on the billing
    documents (billed_sql.py). `usage`: the lines of usage schedule lines, apart, as the
    refund liability leaves them out. Keyed by the invoice's own contract: the accounting
    contract is mapped on read, as the lines are."""

    contract = _totals_key("ordermgmt.Contract")  # the unique constraint leads with it
    day = models.DateField()
    usage = models.BooleanField()
    amount = money_field(default=0)
    lines = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "day", "usage"], name="billed_revenue_movement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.day} usage={self.usage}: {self.amount}"
