"""Event ids compared byte by byte ("C" collation) on PostgreSQL: ids are opaque keys, and
the primary key index and the batch's duplicate check then skip the locale's collation,
which made every comparison of ingestion several times dearer."""

from django.db import migrations


def to_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE usage_event ALTER COLUMN event_id TYPE varchar(128) COLLATE "C"'
        )


def to_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE usage_event ALTER COLUMN event_id TYPE varchar(128) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("usage", "0003_roles_and_partition_beat")]

    operations = [migrations.RunPython(to_c, to_default)]
