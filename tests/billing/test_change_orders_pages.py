"""The contract's change orders page: the form, its refusals, and the credit and debit
lines each change order made."""

from datetime import date

import pytest
from freezegun import freeze_time

from billing.models import BillingRun
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles
from ordermgmt.models import ContractChange
from tests.factories import UserFactory, active_contract

pytestmark = pytest.mark.django_db


def bill(run_date: date) -> None:
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


@freeze_time("2026-11-16 12:00")
def test_an_upgrade_recorded_on_the_page_shows_its_credit_and_debit(client):
    contract = active_contract(billing_frequency="monthly")
    bill(date(2026, 11, 1))
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    url = f"/billing/contracts/{contract.pk}/change-orders/"
    form = {
        "kind": "quantity",
        "line": contract.lines.get().pk,
        "effective_date": "2026-11-16",
        "quantity": "20",
        "proration_behavior": "next_invoice",
    }
    answer = client.post(url, form, follow=True)
    page = answer.content.decode()
    assert answer.status_code == 200 and "change-order-form" in page
    assert "−$500.00" in page or "-$500.00" in page  # the credit of the unused half
    assert "$1,000.00" in page  # the debit of the new half
    assert "actual/actual: 15/30 days" in page
    assert ContractChange.objects.filter(contract=contract).count() == 1


@freeze_time("2026-11-16 12:00")
def test_a_refused_change_on_the_page_names_the_field_and_saves_nothing(client):
    contract = active_contract(billing_frequency="monthly")
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    answer = client.post(
        f"/billing/contracts/{contract.pk}/change-orders/",
        {
            "kind": "quantity",
            "line": contract.lines.get().pk,
            "effective_date": "2027-03-01",
            "quantity": "20",
            "proration_behavior": "next_invoice",
        },
    )
    assert answer.status_code == 400
    assert 'id="error-effective_date"' in answer.content.decode()
    assert not ContractChange.objects.exists()


def test_an_auditor_reads_the_page_without_the_form(client):
    contract = active_contract(billing_frequency="monthly")
    client.force_login(UserFactory(role=roles.AUDITOR))
    url = f"/billing/contracts/{contract.pk}/change-orders/"
    page = client.get(url)
    assert page.status_code == 200 and "change-order-form" not in page.content.decode()
    assert client.post(url, {"kind": "remove"}).status_code == 403
