"""Each customer's open invoices per currency (billing.models.open_balances), kept by
statement triggers on billing_invoice on PostgreSQL, and a covering partial index of the
open invoices by due date for the reports' ranges (billing.selectors.ar_as_of). The
table is filled from the invoices once here. The SQLite demo gets the table but no
triggers; its reports read the invoices directly."""

import django.db.models.deletion
from django.db import migrations, models

# An invoice's part in its customer's open balance: issued (void ones too, which owe
# nothing once their void credit note is booked) and owing something.
COUNTS = "number IS NOT NULL AND status IN ('issued', 'void') AND {open} > 0"
OPEN = "total_amount - credited_amount - paid_amount"


def counts(alias: str) -> str:
    prefix = f"{alias}." if alias else ""
    return (
        COUNTS.format(
            open=OPEN.replace("total", f"{prefix}total")
            .replace("credited", f"{prefix}credited")
            .replace("paid", f"{prefix}paid")
        )
        .replace("number", f"{prefix}number")
        .replace("status", f"{prefix}status")
    )


# Rows of an UPDATE whose part changed: (account, currency, open, due date, counted).
CHANGED = f"""
  SELECT o.account_id, o.currency, -({
    OPEN.replace("total", "o.total").replace("credited", "o.credited").replace("paid", "o.paid")
}) AS amount, -1 AS invoices
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  WHERE {counts("o")} AND (n.total_amount, n.credited_amount, n.paid_amount, n.status,
    n.number, n.account_id, n.currency, n.due_date) IS DISTINCT FROM (o.total_amount,
    o.credited_amount, o.paid_amount, o.status, o.number, o.account_id, o.currency,
    o.due_date)
  UNION ALL
  SELECT n.account_id, n.currency, {
    OPEN.replace("total", "n.total").replace("credited", "n.credited").replace("paid", "n.paid")
}, 1
  FROM old_rows o JOIN new_rows n ON n.id = o.id
  WHERE {counts("n")} AND (n.total_amount, n.credited_amount, n.paid_amount, n.status,
    n.number, n.account_id, n.currency, n.due_date) IS DISTINCT FROM (o.total_amount,
    o.credited_amount, o.paid_amount, o.status, o.number, o.account_id, o.currency,
    o.due_date)
"""
INSERTED = f"SELECT account_id, currency, {OPEN}, 1 FROM new_rows WHERE {counts('')}"
DELETED = f"SELECT account_id, currency, -({OPEN}), -1 FROM old_rows WHERE {counts('')}"
# Pairs whose invoices changed at all (their oldest due date is read again).
TOUCHED = {
    "insert": "SELECT account_id, currency FROM new_rows",
    "delete": "SELECT account_id, currency FROM old_rows",
    "update": """SELECT account_id, currency FROM old_rows UNION
      SELECT account_id, currency FROM new_rows""",
}

FUNCTION = """
CREATE OR REPLACE FUNCTION billing_open_balance_{event}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO billing_accountopenbalance AS b (account_id, currency, open_amount,
    open_invoices, oldest_due_date)
  SELECT account_id, currency, sum(amount), sum(invoices), NULL
  FROM ({changes}) c (account_id, currency, amount, invoices)
  GROUP BY account_id, currency
  HAVING sum(amount) <> 0 OR sum(invoices) <> 0
  ORDER BY account_id, currency
  ON CONFLICT (account_id, currency) DO UPDATE
    SET open_amount = b.open_amount + excluded.open_amount,
        open_invoices = b.open_invoices + excluded.open_invoices;
  UPDATE billing_accountopenbalance b SET oldest_due_date = (
    SELECT min(i.due_date) FROM billing_invoice i
    WHERE i.account_id = b.account_id AND i.currency = b.currency AND {counts_i})
  FROM (SELECT DISTINCT account_id, currency FROM ({touched}) t) t
  WHERE b.account_id = t.account_id AND b.currency = t.currency
    AND b.oldest_due_date IS DISTINCT FROM (
      SELECT min(i.due_date) FROM billing_invoice i
      WHERE i.account_id = b.account_id AND i.currency = b.currency AND {counts_i});
  RETURN NULL;
END $$;
"""

TRIGGER = """
CREATE TRIGGER billing_open_balance_{event} AFTER {verb} ON billing_invoice
REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION billing_open_balance_{event}()
"""
EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows", INSERTED),
    "update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", CHANGED),
    "delete": ("DELETE", "OLD TABLE AS old_rows", DELETED),
}

INDEX = (
    "CREATE INDEX IF NOT EXISTS billing_invoice_open_by_due ON billing_invoice (due_date) "
    "INCLUDE (account_id, currency, invoice_date, total_amount, credited_amount, paid_amount) "
    f"WHERE {counts('')}"
)
# The earliest due date of a customer's open invoices, for the triggers.
INDEX_OLDEST = (
    "CREATE INDEX IF NOT EXISTS billing_invoice_open_oldest ON billing_invoice "
    f"(account_id, currency, due_date) WHERE {counts('')}"
)

FILL = f"""
INSERT INTO billing_accountopenbalance (account_id, currency, open_amount, open_invoices,
  oldest_due_date)
SELECT account_id, currency, sum({OPEN}), count(*), min(due_date)
FROM billing_invoice WHERE {counts("")}
GROUP BY account_id, currency ORDER BY account_id, currency
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(INDEX)
    schema_editor.execute(INDEX_OLDEST)
    for event, (verb, transition, changes) in EVENTS.items():
        schema_editor.execute(
            FUNCTION.format(
                event=event, changes=changes, touched=TOUCHED[event], counts_i=counts("i")
            )
        )
        schema_editor.execute(TRIGGER.format(event=event, verb=verb, transition=transition))
    schema_editor.execute("DELETE FROM billing_accountopenbalance")
    schema_editor.execute(FILL)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in EVENTS:
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS billing_open_balance_{event} ON billing_invoice"
        )
        schema_editor.execute(f"DROP FUNCTION IF EXISTS billing_open_balance_{event}()")
    schema_editor.execute("DROP INDEX IF EXISTS billing_invoice_open_by_due")
    schema_editor.execute("DROP INDEX IF EXISTS billing_invoice_open_oldest")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0114_invoice_issued_as_of_index"),
        ("ordermgmt", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountOpenBalance",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                ("open_amount", models.DecimalField(decimal_places=4, default=0, max_digits=19)),
                ("open_invoices", models.IntegerField(default=0)),
                ("oldest_due_date", models.DateField(blank=True, null=True)),
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
                        fields=("account", "currency"), name="account_open_balance_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
