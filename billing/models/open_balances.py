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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency"], name="account_open_balance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency} {self.open_amount}"
