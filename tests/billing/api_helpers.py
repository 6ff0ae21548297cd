"""What the billing API tests add to the page tests' helpers (tests/billing/page_helpers.py:
roles, a billing run, a draft invoice): a client signed in as a role, a JSON post."""

from tests.billing.page_helpers import ADM, AUD, DD, FIN, OS, bill, draft_invoice
from tests.factories import UserFactory

__all__ = ["ADM", "AUD", "DD", "FIN", "OS", "as_role", "bill", "draft_invoice", "post"]


def as_role(client, role):
    client.force_login(UserFactory(role=role))
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")
