"""Billing hold on an active contract: with a reason, audited, in the service, the admin
and the API; refused without a reason or on an ended contract, changing nothing."""

import pytest
from django.urls import reverse

from core.errors import DomainValidationError
from ordermgmt import services
from ordermgmt.models import Contract
from tests.factories import active_contract

pytestmark = pytest.mark.django_db


def test_billing_of_an_active_contract_is_put_on_hold_with_the_reason_in_its_history(
    specialist,
):
    contract = active_contract()
    services.set_billing_hold(
        contract=contract, on_hold=True, reason="PO expired, waiting for renewal", actor=specialist
    )
    contract = Contract.objects.get(pk=contract.pk)
    assert contract.billing_hold is True
    last = contract.history.first()
    assert last.history_user == specialist
    assert last.history_change_reason == "billing_hold.set: PO expired, waiting for renewal"


def test_releasing_the_hold_is_audited_too(specialist):
    contract = active_contract()
    services.set_billing_hold(contract=contract, on_hold=True, reason="dispute", actor=specialist)
    services.set_billing_hold(contract=contract, on_hold=False, reason="settled", actor=specialist)
    contract.refresh_from_db()
    assert contract.billing_hold is False
    assert contract.history.first().history_change_reason == "billing_hold.released: settled"


@pytest.mark.parametrize(
    ("on_hold", "reason", "field", "code"),
    [
        (True, "  ", "reason", "required"),
        (True, "x" * 501, "reason", "out_of_range"),
        (False, "nothing to release", "on_hold", "hold_unchanged"),
    ],
)
def test_a_hold_without_reason_or_without_change_is_refused_and_changes_nothing(
    specialist, on_hold, reason, field, code
):
    contract = active_contract()
    versions = contract.history.count()
    with pytest.raises(DomainValidationError) as err:
        services.set_billing_hold(contract=contract, on_hold=on_hold, reason=reason, actor=None)
    assert (err.value.field, err.value.code) == (field, code)
    assert Contract.objects.get(pk=contract.pk).billing_hold is False
    assert contract.history.count() == versions


def test_an_ended_contract_takes_no_hold(specialist):
    contract = active_contract()
    services.cancel_contract(contract=contract, actor=specialist, comment="lost")
    with pytest.raises(DomainValidationError) as err:
        services.set_billing_hold(contract=contract, on_hold=True, reason="late", actor=None)
    assert (err.value.field, err.value.code) == ("on_hold", "not_editable")
    assert Contract.objects.get(pk=contract.pk).billing_hold is False


def test_the_admin_changes_the_hold_of_an_active_contract_and_asks_for_a_reason(client, specialist):
    contract = active_contract()
    client.force_login(specialist)
    page = client.get(reverse("admin:ordermgmt_contract_change", args=[contract.pk]))
    url = reverse("admin:ordermgmt_contract_billing_hold", args=[contract.pk])
    assert url in page.content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert Contract.objects.get(pk=contract.pk).billing_hold is False
    done = client.post(url, {"reason": "customer disputes the seat count"})
    assert done.status_code == 302
    contract.refresh_from_db()
    assert contract.billing_hold is True
    assert contract.history.first().history_user == specialist


def test_the_admin_hold_page_is_refused_without_the_change_right(client, deal_desk):
    contract = active_contract()
    client.force_login(deal_desk)
    url = reverse("admin:ordermgmt_contract_billing_hold", args=[contract.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert Contract.objects.get(pk=contract.pk).billing_hold is False


def test_the_api_changes_the_hold_and_returns_field_and_code_on_refusal(client, specialist):
    contract = active_contract()
    client.force_login(specialist)
    url = f"/api/v1/contracts/{contract.pk}/billing-hold/"
    refused = client.post(url, {"on_hold": True, "reason": " "}, content_type="application/json")
    assert refused.status_code == 400
    assert Contract.objects.get(pk=contract.pk).billing_hold is False
    done = client.post(
        url, {"on_hold": True, "reason": "awaiting PO"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["billing_hold"] is True


def test_the_api_refuses_the_hold_to_roles_without_the_change_right(client, deal_desk):
    contract = active_contract()
    client.force_login(deal_desk)
    response = client.post(
        f"/api/v1/contracts/{contract.pk}/billing-hold/",
        {"on_hold": True, "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Contract.objects.get(pk=contract.pk).billing_hold is False
