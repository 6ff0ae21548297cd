"""The indexes behind the global search, as SQL kept beside the queries they serve.

Prefix matches (`istartswith`) compile to `UPPER(col::text) LIKE UPPER('INV-2026%')`, so
each number or reference gets a btree on that same expression with `text_pattern_ops`
(usable by LIKE whatever the database collation). Name matches (`icontains`) compile to
`UPPER(col::text) LIKE '%ACME%'`, which only a trigram GIN index can serve. pg_trgm is a
trusted extension (PostgreSQL 13+): a database owner without superuser may create it. If
the role may not, the name indexes are skipped and name search still works, unindexed.
SQLite (the demo) gets none of this: its book is small.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

# (index name, table, column)
PREFIX_INDEXES = [
    ("ll_search_invoice_number", "billing_invoice", "number"),
    ("ll_search_invoice_po", "billing_invoice", "po_number"),
    ("ll_search_invoice_stripe", "billing_invoice", "stripe_invoice_id"),
    ("ll_search_creditnote_number", "billing_creditnote", "number"),
    ("ll_search_payment_reference", "billing_payment", "reference"),
    ("ll_search_payment_external", "billing_payment", "external_id"),
    ("ll_search_account_stripe", "ordermgmt_account", "stripe_customer_id"),
    ("ll_search_account_salesforce", "ordermgmt_account", "salesforce_id"),
    ("ll_search_contract_po", "ordermgmt_contract", "po_number"),
    ("ll_search_opportunity_salesforce", "ordermgmt_opportunity", "salesforce_id"),
]
AMOUNT_INDEXES = [
    ("ll_search_invoice_total", "billing_invoice", "total_amount"),
    ("ll_search_creditnote_total", "billing_creditnote", "total_amount"),
    ("ll_search_payment_amount", "billing_payment", "amount"),
    ("ll_search_opportunity_amount", "ordermgmt_opportunity", "amount"),
]
NAME_INDEXES = [
    ("ll_search_account_name", "ordermgmt_account", "legal_name"),
    ("ll_search_contract_name", "ordermgmt_contract", "name"),
    ("ll_search_opportunity_name", "ordermgmt_opportunity", "name"),
]


def _trigram_available(cursor) -> bool:
    cursor.execute("SAVEPOINT ll_search_trgm")
    try:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as err:  # noqa: BLE001 - a role without the right keeps working
        cursor.execute("ROLLBACK TO SAVEPOINT ll_search_trgm")
        logger.warning("pg_trgm not available (%s): name search stays unindexed", err)
        return False
    cursor.execute("RELEASE SAVEPOINT ll_search_trgm")
    return True


def create_search_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, table, column in PREFIX_INDEXES:
            cursor.execute(
                f'CREATE INDEX IF NOT EXISTS {name} ON {table} (UPPER("{column}"::text) '
                "text_pattern_ops)"
            )
        for name, table, column in AMOUNT_INDEXES:
            cursor.execute(f'CREATE INDEX IF NOT EXISTS {name} ON {table} ("{column}")')
        if _trigram_available(cursor):
            for name, table, column in NAME_INDEXES:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                    f'USING gin (UPPER("{column}"::text) gin_trgm_ops)'
                )


def drop_search_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _table, _column in PREFIX_INDEXES + AMOUNT_INDEXES + NAME_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
