"""The write-offs and approvals console page, as finance uses it.

Fran writes off 800.00 of Acme's 2,000.00 invoice: the confirmation shows 1,200.00 left
and that it waits for a second person; confirming saves the request and AR is unchanged.
Fran sees she cannot decide her own request; Pat approves it on the decide page and the
write-off document is posted. A refund over the threshold waits on the same page."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice, Payment
from billing.services import record_payment
from billing.writeoffs.approvals import request_refund
from billing.writeoffs.models import ApprovalRequest, WriteOff
from ordermgmt import roles
from tests.bank_factories import open_invoice
from tests.billing.confirming import hidden_fields
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def invoice():
    return open_invoice(
        AccountFactory(legal_name="Acme"), "2000.00", date(2026, 2, 1), currency="USD"
    )


def form(invoice, amount="800.00", **extra):
    return {
        "invoice": invoice.number, "amount": amount, "reason_code": "bad_debt",
        "memo": "Insolvent", "write_off_date": "2026-03-10", **extra,
    }  # fmt: skip


def confirmed_request(client, invoice, **extra):
    """Ask as the page does: the preview, then its confirm form with the signed effect."""
    page = client.post("/billing/write-offs/request/", form(invoice, **extra))
    return client.post("/billing/write-offs/request/", hidden_fields(page.content.decode()))


def confirmed_approval(client, write_off):
    page = client.get(f"/billing/write-offs/{write_off.pk}/decide/").content.decode()
    fields = {**hidden_fields(page), "decision": "approve"}
    return client.post(f"/billing/write-offs/{write_off.pk}/decide/", fields)


def open_amount(invoice):
    return Invoice.objects.get(pk=invoice.pk).open_amount


def test_the_confirmation_shows_the_effect_and_saves_nothing(client, invoice):
    client.force_login(UserFactory(role=roles.FINANCE))
    page = client.post("/billing/write-offs/request/", form(invoice)).content.decode()
    assert 'id="open-after"' in page and "$1,200.00" in page
    assert 'id="write-off-waits"' in page
    assert WriteOff.objects.count() == 0 and open_amount(invoice) == D("2000.00")


def test_confirmed_above_the_threshold_it_waits_and_a_second_person_approves_it(client, invoice):
    fran, pat = UserFactory(role=roles.FINANCE), UserFactory(role=roles.FINANCE)
    client.force_login(fran)
    confirmed_request(client, invoice)
    write_off = WriteOff.objects.get()
    assert write_off.status == "pending" and open_amount(invoice) == D("2000.00")
    own = client.get(f"/billing/write-offs/{write_off.pk}/decide/").content.decode()
    assert 'id="own-request"' in own and 'id="approve-write-off"' not in own
    client.post(f"/billing/write-offs/{write_off.pk}/decide/", {"decision": "approve"})
    assert WriteOff.objects.get().status == "pending"

    client.force_login(pat)
    page = client.get(f"/billing/write-offs/{write_off.pk}/decide/").content.decode()
    assert 'id="approve-write-off"' in page and "$1,200.00" in page
    confirmed_approval(client, write_off)
    write_off.refresh_from_db()
    assert write_off.status == "posted" and write_off.document.number.startswith("WO-")
    assert open_amount(invoice) == D("1200.00")
    listing = client.get("/billing/write-offs/").content.decode()
    assert write_off.document.number in listing


def test_a_rejection_needs_a_reason_and_changes_nothing(client, invoice):
    client.force_login(UserFactory(role=roles.FINANCE))
    confirmed_request(client, invoice)
    write_off = WriteOff.objects.get()
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.post(
        f"/billing/write-offs/{write_off.pk}/decide/", {"decision": "reject"}, follow=True
    )
    assert "Give a reason" in response.content.decode()
    assert WriteOff.objects.get().status == "pending"
    client.post(f"/billing/write-offs/{write_off.pk}/decide/", {"decision": "reject", "note": "No"})
    assert WriteOff.objects.get().status == "rejected" and open_amount(invoice) == D("2000.00")


def test_an_unknown_invoice_number_is_named_and_nothing_is_saved(client, invoice):
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.post(
        "/billing/write-offs/request/",
        {**form(invoice, confirm="yes"), "invoice": "INV-NOPE"},
        follow=True,
    )
    assert "Invoice: no issued invoice is numbered INV-NOPE" in response.content.decode()
    assert WriteOff.objects.count() == 0


def test_an_amount_above_the_open_balance_is_refused_on_confirm(client, invoice):
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.post(
        "/billing/write-offs/request/", form(invoice, amount="2000.01", confirm="yes"), follow=True
    )
    assert "more than the open balance" in response.content.decode()
    assert WriteOff.objects.count() == 0


def test_a_refund_waiting_for_approval_is_approved_on_the_page_by_someone_else(client):
    fran, pat = UserFactory(role=roles.FINANCE), UserFactory(role=roles.FINANCE)
    wire = record_payment(
        account=AccountFactory(legal_name="Acme"), amount=D("8000.00"), currency="USD",
        received_date=date(2026, 3, 2), method="wire", reference="W-1", actor=None,
    )  # fmt: skip
    pending = request_refund(
        payment=wire, amount=D("6000.00"), reference="R", reason="x", actor=fran
    )
    client.force_login(fran)
    assert (
        "Your request: someone else approves."
        in client.get("/billing/write-offs/").content.decode()
    )
    client.force_login(pat)
    page = client.get("/billing/write-offs/").content.decode()
    assert f'data-approval="{pending.pk}"' in page
    client.post(f"/billing/write-offs/approvals/{pending.pk}/decide/", {"decision": "approve"})
    assert ApprovalRequest.objects.get().status == "approved"
    assert Payment.objects.get().unapplied_amount == D("2000.00")


@pytest.mark.parametrize("role", [roles.DEAL_DESK, roles.ORDER_SPECIALIST])
def test_roles_without_write_off_rights_get_403(client, role, invoice):
    client.force_login(UserFactory(role=role))
    assert client.get("/billing/write-offs/").status_code == 403
    assert (
        client.post("/billing/write-offs/request/", form(invoice, confirm="yes")).status_code == 403
    )


def test_the_auditor_sees_the_list_but_cannot_ask(client, invoice):
    client.force_login(UserFactory(role=roles.AUDITOR))
    page = client.get("/billing/write-offs/")
    assert page.status_code == 200 and 'id="write-off-form"' not in page.content.decode()
    assert (
        client.post("/billing/write-offs/request/", form(invoice, confirm="yes")).status_code == 403
    )
