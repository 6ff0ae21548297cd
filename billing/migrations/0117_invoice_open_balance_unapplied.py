"""Each customer's unapplied cash and credit per currency beside its open invoices
(billing.models.open_balances.AccountOpenBalance.unapplied_amount): what its payments
and its credit notes' credit on account have left today, kept by statement triggers on
billing_payment and billing_creditnote on PostgreSQL and filled once here."""

from django.db import migrations, models

LEFT = {
    "billing_payment": (
        "SELECT r.account_id, r.currency, r.amount - r.applied_amount - r.refunded_amount "
        "FROM {rows} r"
    ),
    "billing_creditnote": (
        "SELECT i.account_id, r.currency, "
        "r.on_account_amount - r.applied_amount - r.refunded_amount FROM {rows} r "
        "JOIN billing_invoice i ON i.id = r.invoice_id WHERE r.on_account_amount > 0"
    ),
}

UPSERT = """
INSERT INTO billing_accountopenbalance AS b (account_id, currency, open_amount,
  open_invoices, oldest_due_date, unapplied_amount)
SELECT a, c, 0, 0, NULL, sum(u) FROM ({changes}) x (a, c, u)
GROUP BY a, c HAVING sum(u) <> 0
ORDER BY a, c
ON CONFLICT (account_id, currency) DO UPDATE
  SET unapplied_amount = b.unapplied_amount + excluded.unapplied_amount
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
    short = table.removeprefix("billing_")
    new = LEFT[table].format(rows="new_rows")
    old = f"SELECT a, c, -u FROM ({LEFT[table].format(rows='old_rows')}) o (a, c, u)"
    return [
        (f"billing_unapplied_{short}_ins", "INSERT", "NEW TABLE AS new_rows", new),
        (
            f"billing_unapplied_{short}_upd",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"{new} UNION ALL {old}",
        ),
        (f"billing_unapplied_{short}_del", "DELETE", "OLD TABLE AS old_rows", old),
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # The invoice triggers (0115) insert rows without naming this column.
    schema_editor.execute(
        "ALTER TABLE billing_accountopenbalance ALTER COLUMN unapplied_amount SET DEFAULT 0"
    )
    for table in LEFT:
        for name, verb, transition, changes in events(table):
            schema_editor.execute(
                FUNCTION.format(name=name, upsert=UPSERT.format(changes=changes))
            )
            schema_editor.execute(
                TRIGGER.format(name=name, verb=verb, table=table, transition=transition)
            )
    schema_editor.execute("UPDATE billing_accountopenbalance SET unapplied_amount = 0")
    everything = " UNION ALL ".join(LEFT[table].format(rows=table) for table in LEFT)
    schema_editor.execute(UPSERT.format(changes=everything))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in LEFT:
        for name, _verb, _transition, _changes in events(table):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


class Migration(migrations.Migration):
    dependencies = [("billing", "0116_invoice_open_balance_daily")]

    operations = [
        migrations.AddField(
            model_name="accountopenbalance",
            name="unapplied_amount",
            field=models.DecimalField(decimal_places=4, default=0, max_digits=19),
        ),
        migrations.RunPython(create, drop),
    ]
