import pytest
from django.urls import reverse

from core.errors import DomainValidationError
from ordermgmt import services
from ordermgmt.models import Contract, ContractStatus
from tests.factories import make_contract

pytestmark = pytest.mark.django_db


def test_a_new_contract_starts_as_a_draft(specialist):
    contract = make_contract(actor=specialist)
    assert contract.status == ContractStatus.DRAFT


def test_the_happy_path_runs_draft_review_approved_active(specialist, deal_desk):
    contract = make_contract(actor=specialist)
    contract = services.submit_contract(contract=contract, actor=specialist)
    assert contract.status == ContractStatus.PENDING_REVIEW
    contract = services.approve_contract(contract=contract, actor=deal_desk, comment="ok")
    assert contract.status == ContractStatus.APPROVED
    contract = services.activate_contract(contract=contract, actor=specialist)
    assert contract.status == ContractStatus.ACTIVE
    assert contract.activated_at is not None


def test_activation_before_approval_is_refused(specialist):
    contract = services.submit_contract(contract=make_contract(), actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        services.activate_contract(contract=contract, actor=specialist)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_REVIEW


def test_rejection_sends_the_contract_back_to_draft_and_needs_a_comment(specialist, deal_desk):
    contract = services.submit_contract(contract=make_contract(), actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        services.reject_contract(contract=contract, actor=deal_desk, comment="  ")
    assert (err.value.field, err.value.code) == ("comment", "required")
    contract = services.reject_contract(contract=contract, actor=deal_desk, comment="Net 90")
    assert contract.status == ContractStatus.DRAFT


def test_approving_a_draft_that_was_never_submitted_is_refused(deal_desk):
    contract = make_contract()
    # draft -> approved is reserved for rule-based auto-approval on submit
    with pytest.raises(DomainValidationError):
        services.reject_contract(contract=contract, actor=deal_desk, comment="x")


def test_expired_and_cancelled_are_final(specialist, deal_desk):
    contract = make_contract()
    contract = services.cancel_contract(contract=contract, actor=specialist, comment="lost")
    for service, kwargs in [
        (services.submit_contract, {}),
        (services.activate_contract, {}),
        (services.approve_contract, {"comment": "x"}),
    ]:
        with pytest.raises(DomainValidationError) as err:
            service(contract=contract, actor=deal_desk, **kwargs)
        assert err.value.code in {"illegal_transition", "no_lines"}
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.CANCELLED


def test_submitting_a_contract_without_lines_is_refused(specialist):
    contract = make_contract(lines=[])
    with pytest.raises(DomainValidationError) as err:
        services.submit_contract(contract=contract, actor=specialist)
    assert (err.value.field, err.value.code) == ("lines", "no_lines")


def test_a_plain_orm_save_cannot_change_the_status():
    contract = make_contract()
    contract.status = ContractStatus.ACTIVE
    with pytest.raises(DomainValidationError) as err:
        contract.save()
    assert err.value.code == "illegal_transition"
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.DRAFT


def test_a_contract_cannot_be_created_directly_in_another_status():
    contract = make_contract()
    contract.pk = None
    contract._state.adding = True
    contract.status = ContractStatus.ACTIVE
    with pytest.raises(DomainValidationError):
        contract.save()


def test_the_admin_form_cannot_set_the_status(client, specialist):
    contract = make_contract()
    client.force_login(specialist)
    page = client.get(reverse("admin:ordermgmt_contract_change", args=[contract.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content


def test_the_api_refuses_an_illegal_move_with_field_and_code(client, specialist):
    contract = services.submit_contract(contract=make_contract(), actor=specialist)
    client.force_login(specialist)
    response = client.post(f"/api/v1/contracts/{contract.pk}/activate/")
    assert response.status_code == 400
    assert response.json()["field"] == "status"
    assert response.json()["code"] == "illegal_transition"


def test_admin_buttons_move_the_contract_through_the_services(client, specialist, deal_desk):
    contract = make_contract()
    client.force_login(specialist)
    url = reverse("admin:ordermgmt_contract_transition", args=[contract.pk, "submit"])
    client.post(url, {"confirm": "1"})
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_REVIEW

    client.force_login(deal_desk)
    url = reverse("admin:ordermgmt_contract_transition", args=[contract.pk, "approve"])
    response = client.post(url, {"comment": ""})
    assert response.status_code == 200  # form shown again with the comment error
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_REVIEW
    client.post(url, {"comment": "Within policy"})
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.APPROVED


def test_active_contracts_are_read_only_in_the_admin(client, specialist, deal_desk):
    contract = services.submit_contract(contract=make_contract(), actor=specialist)
    contract = services.approve_contract(contract=contract, actor=deal_desk, comment="ok")
    contract = services.activate_contract(contract=contract, actor=specialist)
    client.force_login(specialist)
    url = reverse("admin:ordermgmt_contract_change", args=[contract.pk])
    response = client.post(url, {"name": "changed"})
    assert response.status_code == 403
    assert Contract.objects.get(pk=contract.pk).name != "changed"
