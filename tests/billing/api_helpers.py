"""What the billing API tests share: roles, a billing run, a draft invoice,
a client signed in as a role, a JSON post."""

from datetime import date

from billing.models import BillingRun, Invoice
from billing.services import execute_billing_run, queue_billing_run
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


def bill(run_date=date(2026, 1, 1), dry_run=False) -> BillingRun:
    run = queue_billing_run(run_date=run_date, actor=None, dry_run=dry_run)
    return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


def draft_invoice(**terms) -> Invoice:
    contract = active_contract(**terms)
    bill()
    return Invoice.objects.get(contract=contract)


def as_role(client, role):
    client.force_login(UserFactory(role=role))
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")
