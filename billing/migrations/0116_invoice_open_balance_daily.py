"""What the book's movements add per currency and day to gross AR, unapplied cash and
credit, and credit sales (billing.models.open_balances.ArDailyTotal), kept by statement
triggers on every movement table on PostgreSQL and filled once here. Each row of a
movement table contributes as the DSO's as-of rule counts it (billing.selectors.ar_as_of:
AR_MOVEMENTS, and the credit sales of collections_app.reports.dso); an UPDATE adds the
new rows' part and takes off the old rows'. The SQLite demo gets the table but no
triggers; its DSO reads the movements directly."""

from django.db import migrations, models

ISSUED = "i.number IS NOT NULL AND i.status IN ('issued', 'void')"
INVOICE = "JOIN billing_invoice i ON i.id = r.invoice_id"

# Per table: SELECT currency, day, gross, unapplied, sales FROM {rows} r ...
CONTRIBUTIONS = {
    "billing_invoice": [
        "SELECT r.currency, r.invoice_date, r.total_amount, 0, r.total_amount FROM {rows} r "
        "WHERE r.number IS NOT NULL AND r.status IN ('issued', 'void')",
    ],
    "billing_creditnote": [
        "SELECT i.currency, greatest(r.credit_date, i.invoice_date), "
        f"-(r.total_amount - r.on_account_amount), 0, 0 FROM {{rows}} r {INVOICE} WHERE {ISSUED}",
        "SELECT r.currency, r.credit_date, 0, r.on_account_amount, 0 FROM {rows} r "
        "WHERE r.on_account_amount > 0",
        f"SELECT r.currency, r.credit_date, 0, 0, -r.total_amount FROM {{rows}} r {INVOICE} "
        f"WHERE {ISSUED}",
    ],
    "billing_paymentapplication": [
        "SELECT i.currency, greatest(r.applied_date, i.invoice_date), -r.amount, -r.amount, 0 "
        f"FROM {{rows}} r {INVOICE} WHERE {ISSUED}",
    ],
    "billing_creditapplication": [
        "SELECT i.currency, greatest(r.applied_date, i.invoice_date), -r.amount, -r.amount, 0 "
        f"FROM {{rows}} r {INVOICE} WHERE {ISSUED}",
    ],
    "billing_payment": ["SELECT r.currency, r.received_date, 0, r.amount, 0 FROM {rows} r"],
    "billing_refund": [
        "SELECT p.currency, r.refund_date, 0, -r.amount, 0 FROM {rows} r "
        "JOIN billing_payment p ON p.id = r.payment_id",
    ],
    "billing_creditrefund": [
        "SELECT n.currency, r.refund_date, 0, -r.amount, 0 FROM {rows} r "
        "JOIN billing_creditnote n ON n.id = r.credit_note_id",
    ],
}


def contributions(table: str, rows: str, sign: str = "") -> str:
    parts = " UNION ALL ".join(CONTRIBUTIONS[table]).format(rows=rows)
    if not sign:
        return parts
    return f"SELECT c, d, -g, -u, -s FROM ({parts}) o (c, d, g, u, s)"


UPSERT = """
INSERT INTO billing_ardailytotal AS t (currency, day, gross_amount, unapplied_amount,
  sales_amount)
SELECT c, d, sum(g), sum(u), sum(s) FROM ({changes}) x (c, d, g, u, s)
GROUP BY c, d HAVING sum(g) <> 0 OR sum(u) <> 0 OR sum(s) <> 0
ORDER BY c, d
ON CONFLICT (currency, day) DO UPDATE
  SET gross_amount = t.gross_amount + excluded.gross_amount,
      unapplied_amount = t.unapplied_amount + excluded.unapplied_amount,
      sales_amount = t.sales_amount + excluded.sales_amount
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


def events(table: str):
    """(trigger name, verb, transition tables, changes) per event of a table."""
    short = table.removeprefix("billing_")
    new, old = contributions(table, "new_rows"), contributions(table, "old_rows", "-")
    return [
        (f"billing_ar_daily_{short}_ins", "INSERT", "NEW TABLE AS new_rows", new),
        (
            f"billing_ar_daily_{short}_upd",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"{new} UNION ALL {old}",
        ),
        (f"billing_ar_daily_{short}_del", "DELETE", "OLD TABLE AS old_rows", old),
    ]


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
    schema_editor.execute("DELETE FROM billing_ardailytotal")
    everything = " UNION ALL ".join(contributions(table, table) for table in CONTRIBUTIONS)
    schema_editor.execute(UPSERT.format(changes=everything))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in CONTRIBUTIONS:
        for name, _verb, _transition, _changes in events(table):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [("billing", "0115_invoice_open_balance")]

    operations = [
        migrations.CreateModel(
            name="ArDailyTotal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("currency", models.CharField(max_length=3)),
                ("day", models.DateField()),
                ("gross_amount", models.DecimalField(decimal_places=4, default=0, max_digits=19)),
                (
                    "unapplied_amount",
                    models.DecimalField(decimal_places=4, default=0, max_digits=19),
                ),
                ("sales_amount", models.DecimalField(decimal_places=4, default=0, max_digits=19)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("currency", "day"), name="ar_daily_total_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
