"""What each customer's movements add per currency and month to its open invoices and to
its unapplied cash and credit (billing.models.open_balances.AccountMonthlyMovement), kept
by statement triggers on every movement table on PostgreSQL and filled once here; an index
of its rows by month for the as-of reads (billing.selectors.ar_window), one of the
issued invoices' payment terms in days, so that the aging knows how far back an invoice
not yet in its oldest bucket can be dated, and two of the reversals by date.

Each movement counts on the day the as-of rule gives it (billing.selectors.ar_as_of): on
an invoice from its own date or the invoice's, whichever is later; for unapplied cash and
credit from its own date, on the payment's or credit note's customer. An UPDATE adds the
new rows' part and takes off the old rows' for the rows whose counted columns changed
(most updates of a payment or invoice only move its settlement columns and add nothing).
The SQLite demo gets the table but no triggers; its reports read the movements."""

import django.db.models.deletion
from django.db import migrations, models

ISSUED = "i.number IS NOT NULL AND i.status IN ('issued', 'void')"
INVOICE = "JOIN billing_invoice i ON i.id = r.invoice_id"
NOTE_ON_ACCOUNT = (
    "JOIN billing_creditnote n ON n.id = r.credit_note_id "
    "JOIN billing_invoice i ON i.id = n.invoice_id WHERE n.on_account_amount > 0"
)

# Per table: SELECT account, currency, day, open delta, unapplied delta FROM {rows} r ...
CONTRIBUTIONS = {
    "billing_invoice": [
        "SELECT r.account_id, r.currency, r.invoice_date, r.total_amount, 0 FROM {rows} r "
        "WHERE r.number IS NOT NULL AND r.status IN ('issued', 'void')",
    ],
    "billing_creditnote": [
        "SELECT i.account_id, i.currency, greatest(r.credit_date, i.invoice_date), "
        f"-(r.total_amount - r.on_account_amount), 0 FROM {{rows}} r {INVOICE} WHERE {ISSUED}",
        "SELECT i.account_id, r.currency, r.credit_date, 0, r.on_account_amount "
        f"FROM {{rows}} r {INVOICE} WHERE r.on_account_amount > 0",
    ],
    "billing_paymentapplication": [
        "SELECT i.account_id, i.currency, greatest(r.applied_date, i.invoice_date), -r.amount, 0 "
        f"FROM {{rows}} r {INVOICE} WHERE {ISSUED}",
        "SELECT p.account_id, p.currency, r.applied_date, 0, -r.amount FROM {rows} r "
        "JOIN billing_payment p ON p.id = r.payment_id",
    ],
    "billing_creditapplication": [
        "SELECT i.account_id, i.currency, greatest(r.applied_date, i.invoice_date), -r.amount, 0 "
        f"FROM {{rows}} r {INVOICE} WHERE {ISSUED}",
        f"SELECT i.account_id, n.currency, r.applied_date, 0, -r.amount FROM {{rows}} r "
        f"{NOTE_ON_ACCOUNT}",
    ],
    "billing_payment": [
        "SELECT r.account_id, r.currency, r.received_date, 0, r.amount FROM {rows} r"
    ],
    "billing_refund": [
        "SELECT p.account_id, p.currency, r.refund_date, 0, -r.amount FROM {rows} r "
        "JOIN billing_payment p ON p.id = r.payment_id",
    ],
    "billing_creditrefund": [
        f"SELECT i.account_id, n.currency, r.refund_date, 0, -r.amount FROM {{rows}} r "
        f"{NOTE_ON_ACCOUNT}",
    ],
}

# The columns a row's part depends on: an UPDATE that changes none of them adds nothing.
COUNTED = {
    "billing_invoice": "number, status, account_id, currency, invoice_date, total_amount",
    "billing_creditnote": "invoice_id, currency, credit_date, total_amount, on_account_amount",
    "billing_paymentapplication": "invoice_id, payment_id, amount, applied_date",
    "billing_creditapplication": "invoice_id, credit_note_id, amount, applied_date",
    "billing_payment": "account_id, currency, received_date, amount",
    "billing_refund": "payment_id, amount, refund_date",
    "billing_creditrefund": "credit_note_id, amount, refund_date",
}


def contributions(table: str, rows: str, sign: str = "") -> str:
    parts = " UNION ALL ".join(CONTRIBUTIONS[table]).format(rows=rows)
    if not sign:
        return parts
    return f"SELECT a, c, d, -o, -u FROM ({parts}) x (a, c, d, o, u)"


def changed(table: str, side: str) -> str:
    """The rows of an UPDATE's `side` (new_rows or old_rows) whose counted columns
    changed, as a subquery in place of a table."""
    other = "old_rows" if side == "new_rows" else "new_rows"
    columns = [c.strip() for c in COUNTED[table].split(",")]
    mine = ", ".join(f"s.{c}" for c in columns)
    theirs = ", ".join(f"t.{c}" for c in columns)
    return (
        f"(SELECT s.* FROM {side} s JOIN {other} t ON t.id = s.id "
        f"WHERE ({mine}) IS DISTINCT FROM ({theirs}))"
    )


UPSERT = """
INSERT INTO billing_accountmonthlymovement AS t (account_id, currency, month, open_amount,
  unapplied_amount)
SELECT a, c, date_trunc('month', d)::date, sum(o), sum(u) FROM ({changes}) x (a, c, d, o, u)
GROUP BY a, c, date_trunc('month', d)::date HAVING sum(o) <> 0 OR sum(u) <> 0
ORDER BY 1, 2, 3
ON CONFLICT (account_id, currency, month) DO UPDATE
  SET open_amount = t.open_amount + excluded.open_amount,
      unapplied_amount = t.unapplied_amount + excluded.unapplied_amount
"""

FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {upsert};
  RETURN NULL;
END $$;
"""
TRIGGER = """
CREATE TRIGGER {name} AFTER {verb} ON {table} REFERENCING {transition}
FOR EACH STATEMENT EXECUTE FUNCTION {name}()
"""

INDEXES = [
    # The months after (or before) a date, every column the as-of read needs.
    "CREATE INDEX IF NOT EXISTS billing_monthly_movement_by_month ON "
    "billing_accountmonthlymovement (month) INCLUDE (account_id, currency, open_amount, "
    "unapplied_amount)",
    # The longest payment terms in use (an index's last entry), which bound how early an
    # invoice due in the aging's recent buckets can be dated.
    "CREATE INDEX IF NOT EXISTS billing_invoice_issued_terms ON billing_invoice "
    "((due_date - invoice_date)) WHERE number IS NOT NULL AND status IN ('issued', 'void')",
    # Reversals by date: the worklist of a past date looks for invoices that a reversal
    # dated after it could leave below zero then (collections_app.selectors.
    # worklist_window).
    "CREATE INDEX IF NOT EXISTS billing_paymentapplication_reversal_date ON "
    "billing_paymentapplication (applied_date) INCLUDE (invoice_id) WHERE amount < 0",
    "CREATE INDEX IF NOT EXISTS billing_creditapplication_reversal_date ON "
    "billing_creditapplication (applied_date) INCLUDE (invoice_id) WHERE amount < 0",
]


def events(table: str):
    """(trigger name, verb, transition tables, changes) per event of a table."""
    short = table.removeprefix("billing_")
    updated = (
        f"{contributions(table, changed(table, 'new_rows'))} UNION ALL "
        f"{contributions(table, changed(table, 'old_rows'), '-')}"
    )
    return [
        (
            f"billing_monthly_{short}_ins",
            "INSERT",
            "NEW TABLE AS new_rows",
            contributions(table, "new_rows"),
        ),
        (
            f"billing_monthly_{short}_upd",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            updated,
        ),
        (
            f"billing_monthly_{short}_del",
            "DELETE",
            "OLD TABLE AS old_rows",
            contributions(table, "old_rows", "-"),
        ),
    ]


def fill_sql() -> str:
    everything = " UNION ALL ".join(contributions(table, table) for table in CONTRIBUTIONS)
    return UPSERT.format(changes=everything)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in CONTRIBUTIONS:
        for name, verb, transition, changes in events(table):
            upsert = UPSERT.format(changes=changes)
            schema_editor.execute(FUNCTION.format(name=name, upsert=upsert))
            schema_editor.execute(
                TRIGGER.format(name=name, verb=verb, table=table, transition=transition)
            )
    for index in INDEXES:
        schema_editor.execute(index)
    schema_editor.execute("DELETE FROM billing_accountmonthlymovement")
    # One grouped pass over the book (the whole 1M-invoice bench book in a few tens of
    # seconds); enough memory that its hash aggregate stays in memory.
    schema_editor.execute("SET LOCAL work_mem = '256MB'")
    schema_editor.execute(fill_sql())
    schema_editor.execute("ANALYZE billing_accountmonthlymovement")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in CONTRIBUTIONS:
        for name, _verb, _transition, _changes in events(table):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for index in [
        "billing_invoice_issued_terms",
        "billing_paymentapplication_reversal_date",
        "billing_creditapplication_reversal_date",
    ]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("billing", "0118_merge_20261207_1916"), ("ordermgmt", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AccountMonthlyMovement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                ("month", models.DateField()),
                ("open_amount", models.DecimalField(decimal_places=4, default=0, max_digits=19)),
                (
                    "unapplied_amount",
                    models.DecimalField(decimal_places=4, default=0, max_digits=19),
                ),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="ordermgmt.account",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "currency", "month"),
                        name="account_monthly_movement_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
