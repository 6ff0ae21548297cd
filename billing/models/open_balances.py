"""Each customer's open invoices per currency, maintained in the database.

One row per (account, currency): the sum of the open balances of its issued invoices
(`total_amount - credited_amount - paid_amount`, never negative: the services refuse an
application or credit beyond it), how many are open, and the earliest due date among them.
On PostgreSQL, statement triggers on billing_invoice keep it in the same transaction as
every change of those columns, whichever path makes it (payments, credit notes, credit
applications, voids, write-offs, opening balances, billing runs, bulk SQL); the rows an
UPDATE touches are summed into one upsert per statement, in account order.
Migration 0115_invoice_open_balance creates the triggers and fills the table; the SQLite
demo has no triggers and its reports read the invoices directly.

The AR reports read it for what is open today and roll back what was dated after a past
date (billing.selectors.ar_as_of), so it only summarises figures the invoices already
hold; `manage.py check_open_balances` compares the two.
"""

from django.db import models

from core.fields import money_field


class AccountOpenBalance(models.Model):
    account = models.ForeignKey(
        "ordermgmt.Account", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    currency = models.CharField(max_length=3)
    open_amount = money_field(default=0)
    open_invoices = models.IntegerField(default=0)
    oldest_due_date = models.DateField(null=True, blank=True)
    # What its payments and credit notes' credit on account have left today (triggers on
    # billing_payment and billing_creditnote, migration 0117).
    unapplied_amount = money_field(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency"], name="account_open_balance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency} {self.open_amount}"


class ArDailyTotal(models.Model):
    """What the book's movements add, per currency and day, to gross AR (open invoices),
    to unapplied cash and credit, and to credit sales (invoices less credit notes), each
    on the day from which it counts (billing.selectors.ar_as_of: a movement on an invoice
    counts from its own date or its invoice's, whichever is later). A balance as of D is
    the sum of the days up to D, so DSO and its trend read a few hundred rows, not the
    book. Kept on PostgreSQL by statement triggers on the movement tables (migration
    0116_invoice_open_balance_daily), the same way as AccountOpenBalance."""

    currency = models.CharField(max_length=3)
    day = models.DateField()
    gross_amount = money_field(default=0)
    unapplied_amount = money_field(default=0)
    sales_amount = money_field(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="ar_daily_total_unique")
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.day}"


class AccountMonthlyMovement(models.Model):
    """What a customer's movements in one currency add, in one calendar month, to its open
    invoices (gross AR) and to its unapplied cash and credit, each on the day from which
    it counts (the rule of billing.selectors.ar_as_of; `month` is that month's first
    day). A customer's balance as of D is then its balance today less the months after
    D's month and the movements of D's month dated after D (or the months before plus
    those dated up to D), so a past date reads a window of one month row by row, not
    everything booked after it. A backdated movement only changes its own month's row.
    Kept on PostgreSQL by statement triggers on the movement tables (migration
    0119_account_monthly_movement), in the same transaction as every movement."""

    account = models.ForeignKey(
        "ordermgmt.Account", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    currency = models.CharField(max_length=3)
    month = models.DateField()
    open_amount = money_field(default=0)
    unapplied_amount = money_field(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency", "month"], name="account_monthly_movement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency} {self.month:%Y-%m}"
