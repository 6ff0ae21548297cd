"""What the change-order tests share: a billing run on a date, and a change order posted
over the API as an order specialist."""

from datetime import date

from billing.models import BillingRun
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles
from tests.factories import UserFactory


def bill(run_date: date) -> BillingRun:
    run = queue_billing_run(run_date=run_date, actor=None)
    return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


def change(client, contract, **body):
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    return client.post(
        f"/api/v1/contracts/{contract.pk}/change-orders/", body, content_type="application/json"
    )
