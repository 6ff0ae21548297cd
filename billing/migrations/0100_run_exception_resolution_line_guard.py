"""Billing-run exceptions record who resolved them, when and how.

The guard on invoice lines (0002) now probes billing_invoice by primary key for just the
invoices a statement touched, planned afresh for each statement: its cached plan, made
while billing_invoice was nearly empty, hash-joined the whole table on every insert of a
billing run's lines."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

guards = importlib.import_module("billing.migrations.0002_immutable_documents")

PROBE = """
CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() RETURNS trigger AS $$
DECLARE
  frozen boolean;
BEGIN
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM billing_invoice WHERE id = ANY($1) AND status <> ''draft'')'
    INTO frozen USING ARRAY(SELECT DISTINCT invoice_id FROM changed_lines);
  IF frozen THEN
    RAISE EXCEPTION 'lines of an issued invoice cannot change'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_invoiceline_frozen_update() RETURNS trigger AS $$
DECLARE
  frozen boolean;
BEGIN
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM billing_invoice WHERE id = ANY($1) AND status <> ''draft'')'
    INTO frozen
    USING ARRAY(SELECT invoice_id FROM old_lines UNION SELECT invoice_id FROM new_lines);
  IF frozen THEN
    RAISE EXCEPTION 'lines of an issued invoice cannot change'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def probe_by_primary_key(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PROBE, params=None)


def join_as_before(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        start = guards.CREATE.index("CREATE OR REPLACE FUNCTION billing_invoiceline_frozen()")
        end = guards.CREATE.index("CREATE TRIGGER billing_invoiceline_frozen_insert")
        schema_editor.execute(guards.CREATE[start:end], params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_safety_net_schedule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="billingrunexception",
            name="resolution_note",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="billingrunexception",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="billingrunexception",
            name="resolved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(probe_by_primary_key, join_as_before),
    ]
