"""A narrow covering index for the as-of AR pass over the invoices
(billing.selectors.ar_as_of.INVOICE_OPEN_PARTS_AS_OF_SQL): the issued (and void) invoices
by date with every column the pass reads, so the aging reads ~75 MB of index at 1M
invoices instead of the ~390 MB heap (index-only scan; the visibility map comes from
autovacuum, or VACUUM ANALYZE after a bulk load). Raw SQL on PostgreSQL only, so the
partial condition is in the exact form the queries use."""

from django.db import migrations

NAME = "billing_invoice_issued_as_of"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":  # the SQLite demo reads few rows
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON billing_invoice (invoice_date) "
        "INCLUDE (id, account_id, currency, due_date, status, total_amount, credited_amount, "
        "paid_amount) WHERE number IS NOT NULL AND status IN ('issued', 'void')"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("billing", "0113_merge_20261207_1628")]

    operations = [migrations.RunPython(create, drop)]
