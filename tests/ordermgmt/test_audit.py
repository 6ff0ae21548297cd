import pytest
from django.urls import reverse

from ordermgmt import services
from ordermgmt.models import Account, Contract
from tests.factories import AccountFactory, contract_terms, make_contract

pytestmark = pytest.mark.django_db


def test_every_contract_change_records_who_when_and_before_after(specialist, deal_desk):
    contract = make_contract(actor=specialist)
    services.update_contract(
        contract=contract,
        terms=contract_terms(payment_terms="NET45"),
        lines=None,
        actor=specialist,
    )
    contract = services.submit_contract(contract=contract, actor=specialist)
    services.approve_contract(contract=contract, actor=deal_desk, comment="Net 45 accepted")

    records = list(Contract.history.filter(id=contract.pk).order_by("history_date"))
    assert [r.history_change_reason for r in records] == [
        "contract.created",
        "contract.updated",
        "contract.submitted",
        "contract.approved: Net 45 accepted",
    ]
    assert [r.history_user for r in records] == [specialist, specialist, specialist, deal_desk]
    assert all(r.history_date is not None for r in records)
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("payment_terms", "NET30", "NET45")]
    status_delta = records[3].diff_against(records[2])
    assert ("status", "pending_review", "approved") in [
        (c.field, c.old, c.new) for c in status_delta.changes
    ]


def test_contract_lines_are_audited_too(specialist):
    contract = make_contract(actor=specialist)
    line = contract.lines.get()
    assert line.history.get().history_user == specialist


def test_an_admin_edit_of_an_account_is_recorded_with_the_user(client, specialist):
    account = AccountFactory(legal_name="Before Corp")
    client.force_login(specialist)
    url = reverse("admin:ordermgmt_account_change", args=[account.pk])
    data = {
        "legal_name": "After Corp",
        "default_currency": "USD",
        "default_payment_terms": "NET30",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
    }
    assert client.post(url, data).status_code == 302
    latest = Account.history.filter(id=account.pk).latest("history_date")
    assert latest.history_user == specialist
    assert latest.prev_record.legal_name == "Before Corp"
    assert latest.legal_name == "After Corp"


def test_the_history_is_visible_in_the_admin(client, specialist, deal_desk):
    contract = services.submit_contract(contract=make_contract(actor=specialist), actor=specialist)
    services.approve_contract(contract=contract, actor=deal_desk, comment="fine")
    client.force_login(deal_desk)
    page = client.get(reverse("admin:ordermgmt_contract_history", args=[contract.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert deal_desk.username in body
    assert "contract.approved: fine" in body
