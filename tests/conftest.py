import os

import pytest

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
