"""The raw usage table: partitioned by month on PostgreSQL, a plain table on SQLite."""

from django.db import migrations


def create(apps, schema_editor):
    from billing.usage.partitions import CREATE_PLAIN, CREATE_POSTGRESQL

    sql = CREATE_POSTGRESQL if schema_editor.connection.vendor == "postgresql" else CREATE_PLAIN
    for statement in filter(None, (s.strip() for s in sql.split(";"))):
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    schema_editor.execute("DROP TABLE usage_event")


class Migration(migrations.Migration):
    dependencies = [("usage", "0001_rate_cards_usage_and_ledger")]

    operations = [migrations.RunPython(create, drop)]
