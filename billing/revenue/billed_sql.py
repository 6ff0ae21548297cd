"""The SQL that keeps the billed movements (models_totals.BilledRevenueMovement) in step
with the billing documents on PostgreSQL, the way totals_sql.py keeps the revenue totals:
statement triggers, one grouped upsert per statement, and the same rows computed from
every document to fill the table or check it.

Billed is the balances' definition (selectors.balances: `_billed_invoice_lines`,
`_credited_lines`): an invoice line counts, on its invoice's date, while its invoice has a
number and is issued or void; a credit note line counts, negated, on its note's credit
date; both under the invoice's contract, apart when their schedule line is usage. A line's
contribution reads one row of each of five tables (invoice line, invoice, schedule line;
credit note line, credit note), and a statement changes one table: its rows after the
statement (new_rows) are counted with the other tables as they are, and its rows before it
(old_rows) taken off, so any order of writes, cascades included, keeps the sums exact.
"""

from __future__ import annotations

from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, ScheduleLineKind

from . import totals_sql
from .models_totals import BilledRevenueMovement
from .selectors.balances import BILLED_STATUSES
from .totals_sql import changed

INVOICES = Invoice._meta.db_table
INVOICE_LINES = InvoiceLine._meta.db_table
SCHEDULE_LINES = "billing_billingscheduleline"
CREDIT_NOTES = CreditNote._meta.db_table
CREDIT_LINES = CreditNoteLine._meta.db_table
BILLED = BilledRevenueMovement._meta.db_table

_STATUSES = ", ".join(f"'{status.value}'" for status in BILLED_STATUSES)
_USAGE = f"COALESCE(b.kind = '{ScheduleLineKind.USAGE.value}', false)"

# {f}: 1 (counted) or -1 (taken off). A table given as a statement's transition rows is
# joined inner, so that only the lines that read one of its rows are counted.
INVOICED = f"""
SELECT i.contract_id, i.invoice_date AS day, {_USAGE} AS usage,
       {{f}} * l.amount AS amount, {{f}} AS lines
FROM {{il}} l JOIN {{inv}} i ON i.id = l.invoice_id
{{bsl_join}} {{bsl}} b ON b.id = l.schedule_line_id
WHERE i.number IS NOT NULL AND i.status IN ({_STATUSES}) AND i.contract_id IS NOT NULL
"""
CREDITED = f"""
SELECT i.contract_id, c.credit_date AS day, {_USAGE} AS usage,
       {{f}} * -n.amount AS amount, {{f}} AS lines
FROM {{cnl}} n JOIN {{cn}} c ON c.id = n.credit_note_id JOIN {{inv}} i ON i.id = c.invoice_id
{{il_join}} {{il}} l ON l.id = n.invoice_line_id
{{bsl_join}} {{bsl}} b ON b.id = l.schedule_line_id
WHERE i.contract_id IS NOT NULL
"""
_KEYS = {
    "il": INVOICE_LINES,
    "inv": INVOICES,
    "bsl": SCHEDULE_LINES,
    "cnl": CREDIT_LINES,
    "cn": CREDIT_NOTES,
}


def billed_rows(f: int = 1, key: str | None = None, rows: str | None = None) -> str:
    """(contract_id, day, usage, amount, lines) of every counted line, or with `rows` in
    place of table `key`: the lines that read those rows."""
    tables = {k: (rows if k == key else v) for k, v in _KEYS.items()}
    joins = {f"{k}_join": "JOIN" if k == key else "LEFT JOIN" for k in ("il", "bsl")}
    parts = [CREDITED] if key in ("cnl", "cn") else [INVOICED, CREDITED]
    return " UNION ALL ".join(p.format(f=f, **tables, **joins) for p in parts)


def upsert(rows: str) -> str:
    return f"""
INSERT INTO {BILLED} AS t (contract_id, day, usage, amount, lines)
SELECT contract_id, day, usage, sum(amount), sum(lines) FROM ({rows}) r
GROUP BY contract_id, day, usage HAVING sum(amount) <> 0 OR sum(lines) <> 0
ORDER BY 1, 2, 3
ON CONFLICT (contract_id, day, usage) DO UPDATE
  SET amount = t.amount + excluded.amount, lines = t.lines + excluded.lines
"""


# The columns a line's contribution reads in each table: an UPDATE that changes none of
# them adds nothing (a payment's settlement, a PDF, a Stripe id).
COUNTED = {
    "il": ["invoice_id", "schedule_line_id", "amount"],
    "inv": ["contract_id", "invoice_date", "number", "status"],
    "bsl": ["kind"],
    "cnl": ["credit_note_id", "invoice_line_id", "amount"],
    "cn": ["invoice_id", "credit_date"],
}


def triggers() -> list[tuple[str, str, str, str, list[str]]]:
    """(table, trigger name, verb, transition tables, statements) of every billed
    trigger, in totals_sql.triggers' shape."""
    found = []
    for key, table in _KEYS.items():
        name = f"revenue_billed_{table.removeprefix('billing_')}"
        new_changed, old_changed = (
            changed("new_rows", COUNTED[key]),
            changed("old_rows", COUNTED[key]),
        )
        found += [
            (
                table,
                f"{name}_ins",
                "INSERT",
                "NEW TABLE AS new_rows",
                [upsert(billed_rows(1, key, "new_rows"))],
            ),
            (
                table,
                f"{name}_upd",
                "UPDATE",
                "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                [
                    upsert(
                        f"{billed_rows(1, key, new_changed)} UNION ALL "
                        f"{billed_rows(-1, key, old_changed)}"
                    )
                ],
            ),
            (
                table,
                f"{name}_del",
                "DELETE",
                "OLD TABLE AS old_rows",
                [upsert(billed_rows(-1, key, "old_rows"))],
            ),
        ]
    return found


def create_triggers(execute) -> None:
    totals_sql.create_triggers(execute, triggers())


def drop_triggers(execute) -> None:
    totals_sql.drop_triggers(execute, triggers())


def fill(execute) -> None:
    """The table from every document, once (the migration; a repair)."""
    execute(f"DELETE FROM {BILLED}")
    execute(upsert(billed_rows()))


# Differences between the kept movements and the same figures from every document now, in
# revenue_totals_drift's shape: (table, contract, currency, key, kept, recomputed).
DRIFT_SQL = f"""
WITH want AS (SELECT contract_id, day, usage, sum(amount) AS amount, sum(lines) AS lines
              FROM ({billed_rows()}) r GROUP BY 1, 2, 3)
SELECT 'billed', contract_id, NULL, day || CASE WHEN usage THEN ' usage' ELSE '' END,
       COALESCE(h.amount, 0) || '/' || COALESCE(h.lines, 0),
       COALESCE(w.amount, 0) || '/' || COALESCE(w.lines, 0)
FROM {BILLED} h FULL OUTER JOIN want w USING (contract_id, day, usage)
WHERE COALESCE(h.amount, 0) <> COALESCE(w.amount, 0)
   OR COALESCE(h.lines, 0) <> COALESCE(w.lines, 0)
"""
