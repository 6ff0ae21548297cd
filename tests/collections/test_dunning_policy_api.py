"""Dunning policies over the API: read and written with the admin's checks, audited,
permissioned by role.

Worked example: Finance creates "Strategic" (reminders at 0 and +14 days, a call at +21,
five days between reminders). A step whose subject names an unknown placeholder is
refused with the step and field named, and nothing is saved. Changing the steps keeps
the ones by offset and removes what is gone, except a step that has already sent a
reminder."""

from datetime import date

import pytest

from collections_app.models import DunningPolicy, DunningReminder, DunningStep
from collections_app.services import send_due_reminders
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

URL = "/api/v1/collections/dunning-policies/"


def email(offset, subject="Invoice {{ invoice_number }}"):
    return {
        "offset_days": offset, "action": "email", "subject_template": subject,
        "body_template": "{{ customer }} owes {{ amount_due }}.",
    }  # fmt: skip


STRATEGIC = {
    "name": "Strategic",
    "min_contact_days": 5,
    "steps": [email(0), email(14), {"offset_days": 21, "action": "call", "name": "Call"}],
}


@pytest.fixture
def finance_client(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    return client


def test_finance_creates_a_policy_with_its_steps_and_it_is_audited(finance_client):
    response = finance_client.post(URL, STRATEGIC, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert [(s["offset_days"], s["action"]) for s in body["steps"]] == [
        (0, "email"), (14, "email"), (21, "call")
    ]  # fmt: skip
    policy = DunningPolicy.objects.get(name="Strategic")
    assert policy.history.first().history_user is not None
    listed = finance_client.get(URL).json()["results"]
    assert "Strategic" in [p["name"] for p in listed]


def test_a_step_with_an_unknown_placeholder_is_refused_naming_the_step(finance_client):
    bad = {**STRATEGIC, "steps": [email(0), email(14, subject="Hi {{ nickname }}")]}
    response = finance_client.post(URL, bad, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "steps[1].subject_template"
    assert not DunningPolicy.objects.filter(name="Strategic").exists()


def test_a_second_default_policy_is_refused_like_in_the_admin(finance_client):
    response = finance_client.post(
        URL, {**STRATEGIC, "is_default": True}, content_type="application/json"
    )
    assert (response.status_code, response.json()["field"]) == (400, "is_default")
    assert DunningPolicy.objects.filter(is_default=True).count() == 1


def test_two_steps_at_one_offset_are_refused(finance_client):
    response = finance_client.post(
        URL, {**STRATEGIC, "steps": [email(3), email(3)]}, content_type="application/json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "duplicate_offset")
    assert DunningStep.objects.filter(policy__name="Strategic").count() == 0


def test_changing_the_steps_keeps_them_by_offset_and_protects_sent_ones(finance_client):
    default = DunningPolicy.objects.get(is_default=True)
    issued_invoice(due=date(2026, 3, 10))
    send_due_reminders(as_of=date(2026, 3, 10))  # the due-date (0) step is sent
    sent_step = DunningReminder.objects.get().step
    url = f"{URL}{default.pk}/"
    keep_only_later = [email(30), {"offset_days": 35, "action": "call"}]
    refused = finance_client.patch(url, {"steps": keep_only_later}, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (400, "step_in_use")
    assert DunningStep.objects.filter(pk=sent_step.pk).exists()
    offsets = list(default.steps.values_list("offset_days", flat=True))
    changed = finance_client.patch(
        url,
        {"min_contact_days": 4, "steps": [email(o) for o in offsets if o != 35] + [
            {"offset_days": 40, "action": "call"}
        ]},
        content_type="application/json",
    )  # fmt: skip
    assert changed.status_code == 200
    default.refresh_from_db()
    assert default.min_contact_days == 4
    assert 40 in default.steps.values_list("offset_days", flat=True)
    assert DunningStep.objects.get(pk=sent_step.pk).policy == default


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.DEAL_DESK, roles.ORDER_SPECIALIST])
def test_other_roles_cannot_write_policies(client, role):
    client.force_login(UserFactory(role=role))
    response = client.post(URL, STRATEGIC, content_type="application/json")
    assert response.status_code == 403
    assert not DunningPolicy.objects.filter(name="Strategic").exists()
    expected_read = 200 if role == roles.AUDITOR else 403
    assert client.get(URL).status_code == expected_read
