"""What the billing page and API tests share: roles, a billing run, a draft invoice,
a signed-in user, a page's visible text."""

import re
from datetime import date

from billing.models import BillingRun, Invoice
from billing.services import (
    execute_billing_run,
    queue_billing_run,
)
from ordermgmt import roles
from tests.factories import (
    UserFactory,
    active_contract,
)

OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)


def bill(run_date=date(2026, 1, 1), *, dry_run=False, actor=None) -> BillingRun:
    run = queue_billing_run(run_date=run_date, actor=actor, dry_run=dry_run)
    return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


def draft_invoice(run_date=date(2026, 1, 1), **terms) -> Invoice:
    contract = active_contract(**terms)
    bill(run_date)
    return Invoice.objects.get(contract=contract)


def logged_in(client, role):
    user = UserFactory(role=role) if role else UserFactory()
    client.force_login(user)
    return user


def text(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&gt;", ">")
