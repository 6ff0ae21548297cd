"""Dunning policies in the admin: steps and their e-mail wording, checked when saved;
reminders and activities are read-only there."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from collections_app.dunning.emails import check_template
from collections_app.models import DunningPolicy, DunningStep
from collections_app.services import open_dispute, send_due_reminders
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    default_policy,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("Pay {{ invoice_number }} by {{ due_date }}", None),
        ("{% if days_past_due > 10 %}Late{% endif %} {{ amount_due|upper }}", None),
        ("Hello {{ account.owner.email }}", "unknown_placeholder"),
        ("Hello {{ customer|shout }}", "template_syntax"),
        ("{% if days_past_due > %}late{% endif %}", "template_syntax"),
        ("{% load humanize %}{{ amount_due }}", "forbidden_tag"),
        ("{% include 'base.html' %}", "forbidden_tag"),
    ],
)
def test_reminder_templates_may_use_only_the_placeholders(source, code):
    if code is None:
        check_template(source, field="body_template")
        return
    with pytest.raises(DomainValidationError) as err:
        check_template(source, field="body_template")
    assert (err.value.field, err.value.code) == ("body_template", code)


def admin_client(client, role=roles.FINANCE):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def step_form_data(policy: DunningPolicy, steps: list[dict]) -> dict:
    data = {
        "name": policy.name,
        "description": policy.description,
        "min_contact_days": policy.min_contact_days,
        "is_default": "on" if policy.is_default else "",
        "active": "on",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(sum(1 for s in steps if s.get("id"))),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
        data[f"steps-{i}-policy"] = policy.pk
    return {k: v for k, v in data.items() if v != ""}


def existing_steps(policy) -> list[dict]:
    return [
        {
            "id": s.pk,
            "offset_days": s.offset_days,
            "action": s.action,
            "name": s.name,
            "subject_template": s.subject_template,
            "body_template": s.body_template,
        }
        for s in policy.steps.order_by("offset_days")
    ]


def test_finance_edits_the_wording_of_a_step_and_the_change_is_audited(client):
    user = admin_client(client)
    policy = default_policy()
    steps = existing_steps(policy)
    steps[2]["subject_template"] = "Overdue: {{ invoice_number }} ({{ amount_due }})"
    url = reverse("admin:collections_app_dunningpolicy_change", args=[policy.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, step_form_data(policy, steps))
    assert response.status_code == 302, response.content.decode()[:2000]
    step = DunningStep.objects.get(pk=steps[2]["id"])
    assert step.subject_template == "Overdue: {{ invoice_number }} ({{ amount_due }})"
    assert step.history.latest().history_user == user


def test_a_step_with_an_unknown_placeholder_is_refused_at_the_field(client):
    admin_client(client)
    policy = default_policy()
    steps = existing_steps(policy)
    steps[0]["body_template"] = "Dear {{ contact_name }}"
    url = reverse("admin:collections_app_dunningpolicy_change", args=[policy.pk])
    response = client.post(url, step_form_data(policy, steps))
    assert response.status_code == 200
    assert "{{ contact_name }} is not a placeholder" in response.content.decode()
    assert "contact_name" not in DunningStep.objects.get(pk=steps[0]["id"]).body_template


def test_the_call_step_must_be_the_last_step(client):
    admin_client(client)
    policy = default_policy()
    steps = existing_steps(policy)
    steps[-1]["offset_days"] = 20  # the call before the +30 reminder
    url = reverse("admin:collections_app_dunningpolicy_change", args=[policy.pk])
    response = client.post(url, step_form_data(policy, steps))
    assert response.status_code == 200
    assert "The call step must come last" in response.content.decode()


def test_a_second_default_policy_is_refused(client):
    admin_client(client)
    response = client.post(
        reverse("admin:collections_app_dunningpolicy_add"),
        {
            "name": "Another default",
            "min_contact_days": "3",
            "is_default": "on",
            "active": "on",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "is the default policy" in response.content.decode()
    assert DunningPolicy.objects.count() == 1


def test_a_step_that_was_sent_cannot_be_deleted(client):
    admin_client(client, roles.ADMIN)  # Finance cannot delete steps at all
    issued_invoice(due=date(2026, 3, 10))
    send_due_reminders(as_of=date(2026, 3, 3))  # the -7 step is used
    policy = default_policy()
    steps = existing_steps(policy)
    steps[0]["DELETE"] = "on"
    url = reverse("admin:collections_app_dunningpolicy_change", args=[policy.pk])
    response = client.post(url, step_form_data(policy, steps))
    assert response.status_code == 200
    assert "protected related objects" in response.content.decode()
    assert policy.steps.count() == 7


@pytest.mark.parametrize("role", [roles.FINANCE, roles.AUDITOR])
def test_reminders_and_activities_are_read_only_in_the_admin(client, role, finance):
    invoice = issued_invoice(due=date(2026, 3, 10))
    send_due_reminders(as_of=date(2026, 3, 3))
    dispute = open_dispute(invoice=invoice, reason="tax", amount=Decimal("5.00"), actor=finance)
    admin_client(client, role)
    for name in ["dunningreminder", "collectionactivity", "dunningpolicy"]:
        assert client.get(reverse(f"admin:collections_app_{name}_changelist")).status_code == 200
    history = reverse("admin:collections_app_collectionactivity_history", args=[dispute.pk])
    assert client.get(history).status_code == 200
    assert client.get(reverse("admin:collections_app_collectionactivity_add")).status_code == 403


def test_the_periodic_task_is_visible_to_auditors_in_the_admin(client):
    admin_client(client, roles.AUDITOR)
    page = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert page.status_code == 200
    assert "Dunning: send due reminders (daily)" in page.content.decode()
