"""/api/v1/collections/: activities, reminders and the worklist, with the role checks."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from collections_app.models import CollectionActivity
from collections_app.services import open_dispute, send_due_reminders
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)
ACTIVITIES = "/api/v1/collections/activities/"


def api_user(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def overdue_invoice(days=12, **kwargs):
    return issued_invoice(due=timezone.localdate() - timedelta(days=days), **kwargs)


@pytest.mark.parametrize(
    ("role", "status"), [(FIN, 200), (ADM, 200), (AUD, 200), (OS, 403), (DD, 403)]
)
@pytest.mark.parametrize(
    "url",
    [ACTIVITIES, "/api/v1/collections/reminders/", "/api/v1/collections/worklist/"],
)
def test_who_may_read_the_collections_api(client, role, status, url):
    api_user(client, role)
    assert client.get(url).status_code == status


@pytest.mark.parametrize(("role", "status"), [(FIN, 201), (ADM, 201), (AUD, 403), (OS, 403)])
def test_who_may_record_a_note(client, role, status):
    account = customer()
    api_user(client, role)
    response = client.post(
        ACTIVITIES,
        {"kind": "note", "account": account.pk, "body": "Called AP, left a message"},
        content_type="application/json",
    )
    assert response.status_code == status


def test_a_promise_to_pay_is_recorded_and_listed_with_its_outcome(client):
    invoice = overdue_invoice(total="800.00")
    user = api_user(client, FIN)
    promised = timezone.localdate() + timedelta(days=7)
    response = client.post(
        ACTIVITIES,
        {
            "kind": "promise",
            "invoice": invoice.pk,
            "promised_date": promised.isoformat(),
            "amount": "800.00",
            "body": "Confirmed by email",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["promise_outcome"]) == ("promise", "open", "pending")
    assert (body["account"], body["invoice_number"], body["created_by"]) == (
        invoice.account_id,
        invoice.number,
        user.username,
    )
    listed = client.get(ACTIVITIES, {"kind": "promise", "account": invoice.account_id}).json()
    assert [a["id"] for a in listed["results"]] == [body["id"]]
    assert listed["results"][0]["promise_outcome"] == "pending"


def test_bad_input_gets_the_field_and_code_and_changes_nothing(client):
    invoice = overdue_invoice(total="800.00")
    api_user(client, FIN)
    response = client.post(
        ACTIVITIES,
        {
            "kind": "promise",
            "invoice": invoice.pk,
            "promised_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "amount": "800.01",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("amount", "exceeds_open_balance")
    missing = client.post(
        ACTIVITIES, {"kind": "dispute", "invoice": invoice.pk}, content_type="application/json"
    )
    assert (missing.status_code, missing.json()["field"]) == (400, "reason")
    assert not CollectionActivity.objects.exists()


def test_a_dispute_is_opened_and_resolved_through_the_api(client):
    invoice = overdue_invoice()
    api_user(client, FIN)
    opened = client.post(
        ACTIVITIES,
        {"kind": "dispute", "invoice": invoice.pk, "reason": "duplicate", "amount": "1000.00"},
        content_type="application/json",
    ).json()
    resolved = client.post(
        f"{ACTIVITIES}{opened['id']}/resolve/",
        {"resolution": "credited", "note": "Credit note issued"},
        content_type="application/json",
    )
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["resolution"]) == ("resolved", "credited")
    again = client.post(
        f"{ACTIVITIES}{opened['id']}/resolve/",
        {"resolution": "credited"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["code"]) == (400, "not_open")


def test_an_auditor_cannot_resolve_a_dispute(client, finance):
    dispute = open_dispute(
        invoice=overdue_invoice(), reason="pricing", amount=Decimal("1.00"), actor=finance
    )
    api_user(client, AUD)
    response = client.post(
        f"{ACTIVITIES}{dispute.pk}/resolve/",
        {"resolution": "upheld"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_reminders_are_listed_and_filtered_by_account(client):
    invoice = issued_invoice(due=date(2026, 3, 10))
    issued_invoice(due=date(2026, 3, 10))  # another account's
    send_due_reminders(as_of=date(2026, 3, 13))
    api_user(client, AUD)
    body = client.get(
        "/api/v1/collections/reminders/", {"account": invoice.account_id, "action": "email"}
    ).json()
    assert [(r["invoice_number"], r["offset_days"], r["run_date"]) for r in body["results"]] == [
        (invoice.number, 3, "2026-03-13")
    ]


def test_the_worklist_api_lists_overdue_accounts(client):
    invoice = overdue_invoice(days=20, total="4500.00")
    api_user(client, FIN)
    body = client.get("/api/v1/collections/worklist/").json()
    (row,) = body["results"]
    assert (row["account"], row["overdue"], row["oldest_days_past_due"]) == (
        invoice.account_id,
        [{"currency": "USD", "amount": "4500.0000"}],
        20,
    )
    assert row["next_action"]["invoice"] == invoice.pk
    bad = client.get("/api/v1/collections/worklist/", {"show": "everything"})
    assert (bad.status_code, bad.json()["field"]) == (400, "show")


def test_the_collections_endpoints_are_in_the_openapi_schema(client):
    api_user(client, FIN)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/collections/activities/",
        "/api/v1/collections/activities/{id}/resolve/",
        "/api/v1/collections/reminders/",
        "/api/v1/collections/worklist/",
    ]:
        assert path in paths
    assert "post" in paths["/api/v1/collections/activities/"]
