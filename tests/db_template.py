"""Parallel workers clone one migrated database instead of each migrating its own.

Without this, every pytest-xdist worker runs all migrations into its own test database
(test_<name>_gwN): minutes each on a busy machine, and the same work N times. Here the
first worker that needs a database migrates one template, `test_<name>_template`, while
the others wait on a PostgreSQL advisory lock; then each worker makes its database with
`CREATE DATABASE test_<name>_gwN TEMPLATE test_<name>_template` (a file copy, seconds).

The options keep their meaning:

- `--create-db`, or neither option (pytest-django's default: a fresh database): the
  template is rebuilt once per run (the run's xdist `testrunuid`, written as the
  template's comment, tells the other workers it is done) and every worker database is
  cloned again;
- `--reuse-db`: an existing template is migrated forward once per run (nothing to do if
  no migration was added) and an existing worker database is kept; pytest-django then
  migrates it forward as before;
- without xdist, or on another database engine, nothing changes: pytest-django creates
  the one test database as it always did.

Worker databases are kept after the run in every mode (the next run clones them again
unless --reuse-db), so pytest-django is told to keep them.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.db import connections

ALIAS = "default"


def _worker(config) -> str:
    return getattr(config, "workerinput", {}).get("workerid", "")


def applies(config) -> bool:
    """True on an xdist worker against PostgreSQL: the case this module handles."""
    return bool(_worker(config)) and connections[ALIAS].vendor == "postgresql"


def template_name(worker_database: str, worker: str) -> str:
    return f"{worker_database.removesuffix('_' + worker)}_template"


@contextlib.contextmanager
def _server_cursor():
    """A cursor on the maintenance database (not on a test database, which would stop
    it being cloned or dropped), holding the template's advisory lock."""
    with connections[ALIAS]._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext('ledgerline_test_template'))")
        try:
            yield cursor
        finally:
            cursor.execute("SELECT pg_advisory_unlock(hashtext('ledgerline_test_template'))")


def _comment(cursor, name: str) -> str | None:
    """The template's comment (the run that last built or migrated it); None: absent."""
    cursor.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return None if row is None else row[0]


def _exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _migrate(template: str, *, keep: bool, verbosity: int) -> None:
    """Create (or, with keep, migrate forward) the template as Django makes a test
    database: migrations, then the post_migrate rows (content types, permissions, role
    groups, seeded policies). Then close the connection so the template can be copied."""
    connection = connections[ALIAS]
    test_settings = connection.settings_dict.setdefault("TEST", {})
    worker_name, real_name = test_settings.get("NAME"), connection.settings_dict["NAME"]
    test_settings["NAME"] = template
    try:
        connection.creation.create_test_db(
            verbosity=verbosity, autoclobber=True, serialize=False, keepdb=keep
        )
    finally:
        connection.close()
        test_settings["NAME"] = worker_name
        connection.settings_dict["NAME"] = real_name
        settings.DATABASES[ALIAS]["NAME"] = real_name


def prepare_worker_database(config) -> None:
    """Make sure this worker's test database exists as a clone of an up-to-date template
    (see the module docstring for what each option does)."""
    worker = _worker(config)
    database = connections[ALIAS].settings_dict["TEST"]["NAME"]
    template = template_name(database, worker)
    run = "".join(c for c in config.workerinput.get("testrunuid", "") if c.isalnum())
    fresh = bool(config.getvalue("create_db")) or not config.getvalue("reuse_db")
    quote = connections[ALIAS].ops.quote_name
    with _server_cursor() as cursor:
        comment = _comment(cursor, template)
        if comment != run:  # the first worker of this run to get here
            if comment is not None and fresh:
                cursor.execute(f"DROP DATABASE {quote(template)}")
            _migrate(template, keep=not fresh, verbosity=config.option.verbose)
            cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS '{run}'")
        if fresh or not _exists(cursor, database):
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(database)}")
            cursor.execute(f"CREATE DATABASE {quote(database)} TEMPLATE {quote(template)}")
