"""Indexes for the as-of AR reads (billing.selectors.ar_as_of): the movements dated after
a report date are an index range on their date, read without the table (INCLUDE), and
payments with unapplied cash left sit in a small partial index. Raw SQL, on PostgreSQL only,
so the partial condition is in the exact form the queries use."""

from django.db import migrations

INDEXES = [
    ("billing_paymentapplication", "billing_papp_dated_after",
     "(applied_date) INCLUDE (invoice_id, payment_id, amount)", ""),
    ("billing_creditapplication", "billing_capp_dated_after",
     "(applied_date) INCLUDE (invoice_id, credit_note_id, amount)", ""),
    ("billing_creditnote", "billing_cn_dated_after",
     "(credit_date) INCLUDE (invoice_id, total_amount, on_account_amount)", ""),
    ("billing_refund", "billing_refund_dated_after", "(refund_date) INCLUDE (payment_id, amount)",
     ""),
    ("billing_creditrefund", "billing_crefund_dated_after",
     "(refund_date) INCLUDE (credit_note_id, amount)", ""),
    ("billing_payment", "billing_payment_unapplied_left",
     "(received_date) INCLUDE (account_id, currency, amount, applied_amount, refunded_amount)",
     "WHERE amount <> applied_amount + refunded_amount"),
]  # fmt: skip


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":  # the SQLite demo reads few rows
        return
    for table, name, columns, where in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns} {where}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _columns, _where in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("billing", "0110_merge_change_orders")]

    operations = [migrations.RunPython(create, drop)]
