import contextlib
import os
from io import StringIO
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API runs an event loop in the test thread; the ORM must still work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.test import override_settings  # noqa: E402

from ordermgmt import roles  # noqa: E402
from tests import db_template  # noqa: E402
from tests.db_reset import SeedSnapshot, install  # noqa: E402
from tests.factories import UserFactory  # noqa: E402


def _redis_url_for_worker(url: str, worker: str) -> str:
    """pytest-xdist worker gwN gets Redis database base+N, so Celery queues never mix.
    The base is LEDGERLINE_TEST_REDIS_DB_BASE, else the database after REDIS_URL's own."""
    parts = urlsplit(url)
    own = int(parts.path.strip("/") or 0)
    base = int(os.environ.get("LEDGERLINE_TEST_REDIS_DB_BASE", own + 1))
    number = base + int(worker.removeprefix("gw"))
    # Redis has 16 databases unless its `databases` setting says more.
    if number >= int(os.environ.get("LEDGERLINE_TEST_REDIS_DATABASES", 16)):
        raise pytest.UsageError(f"xdist worker {worker} would need Redis database {number}")
    return urlunsplit(parts._replace(path=f"/{number}"))


# Django settings are loaded by now (pytest-django loads them before any conftest), but
# nothing has used the broker yet: point this worker's settings, its Celery app (which
# reads the Django settings) and any subprocess it starts at its own Redis database.
# Each worker already gets its own PostgreSQL database (test_<name>_gwN) from pytest-django.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER and settings.REDIS_URL:
    os.environ["REDIS_URL"] = settings.REDIS_URL = settings.CELERY_BROKER_URL = (
        _redis_url_for_worker(settings.REDIS_URL, _WORKER)
    )


# Production hashes passwords with PBKDF2 at a million iterations: seconds per user on a
# busy 2-core machine, paid by every UserFactory (role_user, finance, ...) and every login.
# The tests check who may do what, not the strength of the hash.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _no_commit_wait(sender, connection, **kwargs):
    # A test database is thrown away: commits need not wait for the disk.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")


connection_created.connect(_no_commit_wait, dispatch_uid="ledgerline_tests_no_commit_wait")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, django_db_blocker, request
):
    """On an xdist worker, clone this worker's database from one migrated template
    (tests/db_template.py) before pytest-django sets it up."""
    if db_template.applies(request.config):
        with django_db_blocker.unblock():
            db_template.prepare_worker_database(request.config)


@pytest.fixture(scope="session")
def django_db_keepdb(request):
    # A cloned worker database is already fresh or reused as the options asked.
    return request.config.getvalue("reuse_db") or db_template.applies(request.config)


@pytest.fixture(scope="session")
def django_db_createdb(request):
    return request.config.getvalue("create_db") and not db_template.applies(request.config)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the test database is migrated, keep its rows so that a transactional test
    ends with a cheap reset to them instead of a flush (tests/db_reset.py)."""
    snapshot = SeedSnapshot()
    if snapshot.usable:
        with django_db_blocker.unblock():
            snapshot.take()
        install(snapshot)


def _reads_demo_book(item) -> bool:
    return "full_demo_book" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    # The slowest tests first: with parallel workers they then overlap the rest of the
    # suite instead of running alone at its end. The readers of the full demo book next to
    # each other, so that one worker loads it once for all of them (worksteal hands out
    # contiguous ranges and steals from their ends).
    items.sort(
        key=lambda item: (item.get_closest_marker("slow") is None, not _reads_demo_book(item))
    )


class DemoBook:
    """The full demo book, as `make demo` loads it (`load_demo_data`, `load_billing_demo`,
    `load_usage_demo`: ~1,060 invoices; 25-35 s to load at load 3), loaded once for all the
    tests that read it, in a transaction left open across them and rolled back after the
    last one. Each reader still runs in its own savepoint (pytest-django's `db`), so what a
    test writes is gone before the next one. No other test sees the book: it is rolled back
    before any test that does not ask for it (see the hooks below)."""

    def __init__(self, blocker, media_root):
        self.blocker, self.media_root = blocker, media_root
        self.atomic = None

    @property
    def loaded(self) -> bool:
        return self.atomic is not None

    def load(self) -> None:
        with self.blocker.unblock():
            atomic = transaction.atomic()
            # As Django's TestCase marks its own blocks: the services' durable
            # transactions still open inside this one.
            atomic._from_testcase = True
            atomic.__enter__()
            try:
                # As `make demo` runs: no broker, tasks in process.
                with override_settings(MEDIA_ROOT=self.media_root, CELERY_TASK_ALWAYS_EAGER=True):
                    for command in ("load_demo_data", "load_billing_demo", "load_usage_demo"):
                        call_command(command, stdout=StringIO())
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
            self.atomic = atomic

    def unload(self) -> None:
        if self.atomic is None:
            return
        atomic, self.atomic = self.atomic, None
        with self.blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


_demo_books: list[DemoBook] = []


@pytest.fixture(scope="session")
def full_demo_book(django_db_setup, django_db_blocker, tmp_path_factory):
    """The full demo book, shared read-only (see DemoBook)."""
    book = DemoBook(django_db_blocker, str(tmp_path_factory.mktemp("demo_book_media")))
    _demo_books.append(book)
    book.load()
    yield book
    book.unload()
    _demo_books.remove(book)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # Before the test's fixtures: the book is loaded for its readers only (again, if a
    # reader comes after a test that does not read it).
    for book in _demo_books:
        if _reads_demo_book(item) and not book.loaded:
            book.load()
        elif not _reads_demo_book(item):
            book.unload()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # After the test's own fixtures (its savepoint): no book left open for a test that
    # does not read it.
    result = yield
    if nextitem is None or not _reads_demo_book(nextitem):
        for book in _demo_books:
            book.unload()
    return result


@pytest.fixture
def role_user(db):
    """role_user("Finance") -> a staff user holding that role."""

    def make(role: str):
        return UserFactory(role=role)

    return make


@pytest.fixture
def specialist(role_user):
    return role_user(roles.ORDER_SPECIALIST)


@pytest.fixture
def deal_desk(role_user):
    return role_user(roles.DEAL_DESK)


@pytest.fixture
def finance(role_user):
    return role_user(roles.FINANCE)


# One Chromium for the whole session, shared by every browser test (tests/e2e and the
# integration pages): Playwright allows one sync driver per process.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Actions and expect() assertions alike wait up to 15 s: on a busy 2-core machine a
    # type-ahead's answer took longer than expect()'s own 5 s default.
    page.set_default_timeout(15000)
    expect.set_options(timeout=15000)
    yield page
    context.close()


@pytest.fixture(autouse=True)
def celery_follows_django_settings():
    """Assigning app.conf.task_always_eager (even to restore it) pins the value on the
    Celery app, and later `settings.CELERY_...` overrides stop reaching it. After each
    test the pins go, so every test starts from the Django settings again."""
    from config.celery import app

    yield
    for key in ("task_always_eager", "task_eager_propagates", "broker_url"):
        # A key set only below the first mapping (the settings) is no pin: nothing to pop.
        with contextlib.suppress(KeyError):
            app.conf.changes.pop(key, None)
