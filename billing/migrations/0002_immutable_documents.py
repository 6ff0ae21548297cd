"""PostgreSQL guards: issued invoices and credit notes cannot change by any path,
including bulk UPDATEs and raw SQL. The models refuse the same in Python (and on SQLite)."""

from django.db import migrations

FROZEN_INVOICE_COLUMNS = [
    "id", "legal_entity_id", "account_id", "contract_id", "replaces_id", "number", "currency",
    "invoice_date", "due_date", "payment_terms", "po_number", "buyer_name", "buyer_address",
    "buyer_tax_id", "tax_exempt", "tax_rounding", "subtotal_amount", "tax_amount",
    "total_amount", "issued_at", "created_at",
]

CREATE = """
CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'invoice % is issued and cannot be deleted', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' THEN
    IF NEW.status = 'draft' OR (OLD.status = 'void' AND NEW.status <> 'void')
       OR ({changed}) THEN
      RAISE EXCEPTION 'invoice % is issued and cannot be changed', OLD.number
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE OR DELETE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen();

-- Statement-level with transition tables: one check per statement, so a billing run's
-- bulk insert of thousands of lines costs one lookup, not one per row.
CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() RETURNS trigger AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM changed_lines c JOIN billing_invoice i ON i.id = c.invoice_id
     WHERE i.status <> 'draft'
  ) THEN
    RAISE EXCEPTION 'lines of an issued invoice cannot change'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_invoiceline_frozen_update() RETURNS trigger AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM (SELECT invoice_id FROM old_lines UNION SELECT invoice_id FROM new_lines) c
      JOIN billing_invoice i ON i.id = c.invoice_id WHERE i.status <> 'draft'
  ) THEN
    RAISE EXCEPTION 'lines of an issued invoice cannot change'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER billing_invoiceline_frozen_insert AFTER INSERT ON billing_invoiceline
  REFERENCING NEW TABLE AS changed_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_invoiceline_frozen();
CREATE TRIGGER billing_invoiceline_frozen_delete AFTER DELETE ON billing_invoiceline
  REFERENCING OLD TABLE AS changed_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_invoiceline_frozen();
CREATE TRIGGER billing_invoiceline_frozen_update AFTER UPDATE ON billing_invoiceline
  REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION billing_invoiceline_frozen_update();

CREATE OR REPLACE FUNCTION billing_creditnote_frozen() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'credit notes cannot be deleted' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF (NEW.number, NEW.invoice_id, NEW.total_amount, NEW.tax_amount, NEW.subtotal_amount,
      NEW.credit_date, NEW.currency)
     IS DISTINCT FROM (OLD.number, OLD.invoice_id, OLD.total_amount, OLD.tax_amount,
      OLD.subtotal_amount, OLD.credit_date, OLD.currency) THEN
    RAISE EXCEPTION 'credit note % cannot be changed', OLD.number
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER billing_creditnote_frozen BEFORE UPDATE OR DELETE ON billing_creditnote
  FOR EACH ROW EXECUTE FUNCTION billing_creditnote_frozen();
"""

DROP = """
DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice;
DROP TRIGGER IF EXISTS billing_invoiceline_frozen_insert ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_invoiceline_frozen_delete ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_invoiceline_frozen_update ON billing_invoiceline;
DROP TRIGGER IF EXISTS billing_creditnote_frozen ON billing_creditnote;
DROP FUNCTION IF EXISTS billing_invoice_frozen();
DROP FUNCTION IF EXISTS billing_invoiceline_frozen();
DROP FUNCTION IF EXISTS billing_invoiceline_frozen_update();
DROP FUNCTION IF EXISTS billing_creditnote_frozen();
"""


def changed_columns_sql() -> str:
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN_INVOICE_COLUMNS)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE.replace("{changed}", changed_columns_sql()), params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
