import contextlib
import os

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in the test thread; the ORM must still work.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from ordermgmt import roles  # noqa: E402
from tests.factories import UserFactory  # noqa: E402


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
    page.set_default_timeout(15000)
    yield page
    context.close()




@pytest.fixture(autouse=True)
def celery_follows_django_settings():
    """Assigning app.conf.task_always_eager (even to restore it) pins the value on the
    Celery app, and later `settings.CELERY_...` overrides stop reaching it. After each
    test the pins go, so every test starts from the Django settings again."""
    from ordermgmt.celery import app

    yield
    for key in ("task_always_eager", "task_eager_propagates", "broker_url"):
        # A key set only below the first mapping (the settings) is no pin: nothing to pop.
        with contextlib.suppress(KeyError):
            app.conf.changes.pop(key, None)
