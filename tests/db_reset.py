"""A cheap clean slate after each transactional test (transactional_db, live_server).

Django empties the database after such a test with `flush`: one TRUNCATE of every table
(about 100 here: PostgreSQL makes new files for each, seconds per test) and then the
post_migrate signal for every app, which re-creates content types and permissions and
re-syncs the role groups once per app. Here instead:

- the rows a freshly migrated test database holds (content types, permissions, role
  groups, deal desk rules, dunning policy, beat tasks...) are copied once per session into
  a schema of their own;
- after a test, only the tables that hold rows are emptied, with DELETE (all foreign keys
  are deferred to the commit); on tables with triggers (issued invoices and credit notes
  refuse DELETE, cash and documents keep summary tables) the triggers are switched off
  for the reset's own transaction (the tests' role owns the tables), so that these are
  emptied by DELETE too: TRUNCATE ... CASCADE, used before, gave new files to every
  table that references an invoice, 1.5-2.7 s a test at load 10;
- the copied rows go back with one INSERT ... SELECT per table, with their ids, so cached
  content types stay right.

Every test after a flush therefore starts from exactly the state of a freshly migrated
database. If anything in the fast path fails, it falls back to Django's own flush.
"""

from __future__ import annotations

from django.db import DatabaseError, connections, transaction

SEED_SCHEMA = "ledgerline_test_seed"


def _quote(connection, table: str) -> str:
    return connection.ops.quote_name(table)


def _tables(connection) -> list[str]:
    return sorted(
        connection.introspection.django_table_names(only_existing=True, include_views=False)
    )


def _tables_with_rows(cursor, connection, tables: list[str]) -> list[str]:
    if not tables:
        return []
    probes = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {_quote(connection, t)})" for t in tables
    )
    cursor.execute(probes, tables)
    return [row[0] for row in cursor.fetchall()]


def _tables_with_triggers(cursor, tables: list[str]) -> set[str]:
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)"
    )
    return {row[0] for row in cursor.fetchall()} & set(tables)


class SeedSnapshot:
    """The freshly migrated rows of one database, and the fast reset back to them."""

    def __init__(self, alias: str = "default"):
        self.alias = alias
        self.tables: list[str] = []
        self.seeded: list[str] = []
        self.guarded: set[str] = set()

    @property
    def usable(self) -> bool:
        return connections[self.alias].vendor == "postgresql"

    def take(self) -> None:
        connection = connections[self.alias]
        self.tables = _tables(connection)
        with transaction.atomic(using=self.alias), connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE")
            cursor.execute(f"CREATE SCHEMA {SEED_SCHEMA}")
            self.seeded = _tables_with_rows(cursor, connection, self.tables)
            for table in self.seeded:
                name = _quote(connection, table)
                cursor.execute(f"CREATE TABLE {SEED_SCHEMA}.{name} AS SELECT * FROM {name}")
            self.guarded = _tables_with_triggers(cursor, self.tables)

    def reset(self) -> None:
        """Back to the snapshot; raises DatabaseError (nothing changed) if it cannot."""
        connection = connections[self.alias]
        with transaction.atomic(using=self.alias), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            dirty = set(_tables_with_rows(cursor, connection, self.tables)) | set(self.seeded)
            guarded = [_quote(connection, t) for t in sorted(dirty & self.guarded)]
            for name in guarded:
                cursor.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
            for table in sorted(dirty):
                cursor.execute(f"DELETE FROM {_quote(connection, table)}")
            # Every table that held rows is empty now: the foreign keys hold, and their
            # checks must have run before the triggers' table can be altered again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name in guarded:
                cursor.execute(f"ALTER TABLE {name} ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in self.seeded:
                name = _quote(connection, table)
                cursor.execute(f"INSERT INTO {name} SELECT * FROM {SEED_SCHEMA}.{name}")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fail here, inside the atomic


def install(snapshot: SeedSnapshot) -> None:
    """Make TransactionTestCase (what pytest-django uses) reset through the snapshot."""
    from django.test import TransactionTestCase

    django_teardown = TransactionTestCase._fixture_teardown
    if getattr(django_teardown, "ledgerline_fast", False):
        return

    def _fixture_teardown(self):
        plain = self.available_apps is None and not self.serialized_rollback
        names = list(self._databases_names(include_mirrors=False))
        if plain and names == [snapshot.alias]:
            try:
                snapshot.reset()
                return
            except DatabaseError:
                pass  # e.g. a foreign key that cannot be deferred: Django's way below
        django_teardown(self)

    _fixture_teardown.ledgerline_fast = True
    TransactionTestCase._fixture_teardown = _fixture_teardown
