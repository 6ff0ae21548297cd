"""Parallel workers clone one migrated database instead of each migrating its own.

Without this, every pytest-xdist worker runs all migrations into its own test database
(test_<name>_gwN): minutes each on a busy machine, and the same work N times. Here the
first worker that needs a database migrates one template, `test_<name>_template`, while
the others wait on a PostgreSQL advisory lock; then each worker makes its database with
`CREATE DATABASE test_<name>_gwN TEMPLATE test_<name>_template` (a file copy, seconds).

Migrating the template costs about two minutes of wall time on this 2-core machine
(140 s at load 7-11; both workers wait for it), so a template is kept between runs for as
long as nothing it is made of has changed. What a freshly migrated database holds is
decided by the migrations of every installed app, the project's own code (post_migrate
handlers seed roles, permissions, deal desk rules, the dunning policy, beat tasks), the
installed packages and the LEDGERLINE_* settings; `fingerprint()` hashes all of them and
the template carries the hash in its comment (with the run that last built or migrated it).

The options keep their meaning:

- neither option (pytest-django's default: a fresh database): a template whose
  fingerprint matches is used as it is (it was made exactly as a rebuild would make it,
  and no test ever runs in it), any other is rebuilt, once per run; every worker
  database is cloned again, so each run starts from a freshly migrated database;
- `--create-db`: the template is rebuilt once per run whatever its fingerprint (the
  run's xdist `testrunuid` in its comment tells the other workers it is done) and every
  worker database is cloned again;
- `--reuse-db`: an existing template is migrated forward once per run unless its
  fingerprint matches, and an existing worker database is kept; pytest-django then
  migrates it forward as before;
- without xdist, or on another database engine, nothing changes: pytest-django creates
  the one test database as it always did.

Worker databases are kept after the run in every mode (the next run clones them again
unless --reuse-db), so pytest-django is told to keep them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import sys
from pathlib import Path

from django.conf import settings
from django.db import connections

ALIAS = "default"
ROOT = Path(__file__).resolve().parents[1]
NOT_IN_THE_DATABASE = {"tests", "bench", "scripts"}  # top-level packages no migration runs


def _worker(config) -> str:
    return getattr(config, "workerinput", {}).get("workerid", "")


def applies(config) -> bool:
    """True on an xdist worker against PostgreSQL: the case this module handles."""
    return bool(_worker(config)) and connections[ALIAS].vendor == "postgresql"


def template_name(worker_database: str, worker: str) -> str:
    return f"{worker_database.removesuffix('_' + worker)}_template"


@contextlib.contextmanager
def _template_lock(cursor):
    """The template's advisory lock, held by a cursor on the maintenance database (not on
    a test database, which would stop it being cloned or dropped)."""
    cursor.execute("SELECT pg_advisory_lock(hashtext('ledgerline_test_template'))")
    try:
        yield
    finally:
        cursor.execute("SELECT pg_advisory_unlock(hashtext('ledgerline_test_template'))")


def fingerprint() -> str:
    """A hash of everything a freshly migrated test database is made of: the project's
    Python packages (models, migrations, post_migrate seeding, settings), this module,
    every installed distribution's version (third-party apps' migrations), the Python
    version and the LEDGERLINE_* environment. Hashing ~600 files takes milliseconds."""
    digest = hashlib.sha256()
    packages = sorted(
        path.parent
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_IN_THE_DATABASE
    )
    files = [path for package in packages for path in sorted(package.rglob("*.py"))]
    for path in [*files, Path(__file__).resolve()]:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    distributions = sorted(
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()
    )
    environment = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("LEDGERLINE_"))
    for text in [*distributions, sys.version, *environment]:
        digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:32]


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


def _ensure_template(cursor, template: str, *, run: str, rebuild: bool, fresh: bool,
                     verbosity: int) -> bool:
    """Under the template's lock: build (or migrate forward) the template unless this run
    already did or its fingerprint matches. True when this call built it."""
    current = f"fingerprint={fingerprint()}"
    quote = connections[ALIAS].ops.quote_name
    with _template_lock(cursor):
        comment = _comment(cursor, template)
        words = (comment or "").split()
        done_this_run = comment is not None and bool(run) and f"run={run}" in words
        up_to_date = comment is not None and current in words and not rebuild
        if done_this_run or up_to_date:
            return False
        if comment is not None and fresh:
            cursor.execute(f"DROP DATABASE {quote(template)}")
        _migrate(template, keep=not fresh, verbosity=verbosity)
        comment = f"{current} run={run}" if run else current
        cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS '{comment}'")
        return True


def prepare_worker_database(config) -> None:
    """Make sure this worker's test database exists as a clone of an up-to-date template
    (see the module docstring for what each option does)."""
    worker = _worker(config)
    database = connections[ALIAS].settings_dict["TEST"]["NAME"]
    template = template_name(database, worker)
    run = "".join(c for c in config.workerinput.get("testrunuid", "") if c.isalnum())
    rebuild = bool(config.getvalue("create_db"))
    fresh = rebuild or not config.getvalue("reuse_db")
    quote = connections[ALIAS].ops.quote_name
    with connections[ALIAS]._nodb_cursor() as cursor:
        _ensure_template(
            cursor, template, run=run, rebuild=rebuild, fresh=fresh, verbosity=config.option.verbose
        )
        # From here on the template is only read: the workers clone at the same time.
        if fresh or not _exists(cursor, database):
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(database)}")
            cursor.execute(f"CREATE DATABASE {quote(database)} TEMPLATE {quote(template)}")


def build_template() -> None:
    """`python -m tests.db_template`: make sure the template is up to date before the
    workers ask for it. `make test` starts this beside its checks (collectstatic, system
    checks, ruff), so that on a fresh machine or after a code change the migrations run
    on one core while the checks and the workers' start-up use the other; the workers
    then find a template whose fingerprint matches (or wait on its lock) and clone it."""
    import time

    connection = connections[ALIAS]
    template = f"{connection.creation._get_test_db_name()}_template"
    started = time.monotonic()
    with connection._nodb_cursor() as cursor:
        built = _ensure_template(cursor, template, run="", rebuild=False, fresh=True, verbosity=0)
    state = "built" if built else "up to date"
    print(f"test template {template}: {state} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    build_template()
