"""Statements of account by e-mail: on demand, and monthly once per period.

Worked example: Acme (billing contact payer@acme.example) asks for monthly statements.
Its invoice of 1,000.00 USD was issued on 8 February 2026 (due 10 March). On 1 March
the schedule sends February's statement (closing balance 1,000.00) with the PDF
attached; running it again on 1 or 2 March sends nothing more. On 1 April it sends
March's. An account that did not ask gets none."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from collections_app.models import AccountDunning, StatementDelivery
from collections_app.statements.services import email_statement, send_monthly_statements
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)
from tests.factories import ContactFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]


@pytest.fixture
def acme():
    account = customer("Acme", contacts=0)
    ContactFactory(account=account, email="payer@acme.example")
    issued_invoice(due=date(2026, 3, 10), account=account)
    AccountDunning.objects.create(account=account, monthly_statement=True)
    return account


def test_the_monthly_run_sends_last_months_statement_with_the_pdf_once(acme):
    quiet = customer("Quiet")
    issued_invoice(due=date(2026, 3, 10), account=quiet)
    run = send_monthly_statements(as_of=date(2026, 3, 1))
    assert (run.start, run.end, run.sent, run.already_sent) == (
        date(2026, 2, 1), date(2026, 2, 28), 1, 0
    )  # fmt: skip
    (message,) = mail.outbox
    assert message.to == ["payer@acme.example"]
    assert "1 Feb 2026 to 28 Feb 2026" in message.subject
    (name, content, mimetype) = message.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    delivery = StatementDelivery.objects.get()
    assert (delivery.kind, delivery.closing_balance, delivery.currency) == (
        "monthly", Decimal("1000.00"), "USD"
    )  # fmt: skip


def test_running_the_schedule_again_in_the_same_month_sends_nothing(acme):
    send_monthly_statements(as_of=date(2026, 3, 1))
    again = send_monthly_statements(as_of=date(2026, 3, 1))
    later = send_monthly_statements(as_of=date(2026, 3, 2))
    assert (again.sent, again.already_sent, later.sent) == (0, 1, 0)
    assert len(mail.outbox) == 1 and StatementDelivery.objects.count() == 1


def test_the_next_month_sends_the_next_period(acme):
    send_monthly_statements(as_of=date(2026, 3, 1))
    send_monthly_statements(as_of=date(2026, 4, 1))
    periods = list(StatementDelivery.objects.order_by("period_start").values_list("period_end"))
    assert periods == [(date(2026, 2, 28),), (date(2026, 3, 31),)]


def test_a_failed_send_is_tried_again_by_the_next_run(acme, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        send_monthly_statements(as_of=date(2026, 3, 1))
    assert StatementDelivery.objects.count() == 0
    monkeypatch.undo()
    assert send_monthly_statements(as_of=date(2026, 3, 1)).sent == 1


def test_on_demand_sends_the_chosen_period_each_time_asked(acme):
    user = UserFactory(role=roles.FINANCE)
    email_statement(account=acme, start=date(2026, 2, 1), end=date(2026, 2, 28), actor=user)
    email_statement(account=acme, start=date(2026, 2, 1), end=date(2026, 2, 28), actor=user)
    assert len(mail.outbox) == 2
    assert list(StatementDelivery.objects.values_list("kind", "sent_by")) == [
        ("on_demand", user.pk), ("on_demand", user.pk)
    ]  # fmt: skip


def test_an_account_without_a_billing_email_is_refused_and_nothing_recorded(db):
    bare = customer("Bare", contacts=0)
    with pytest.raises(DomainValidationError) as err:
        email_statement(account=bare, start=date(2026, 2, 1), end=date(2026, 2, 28), actor=None)
    assert (err.value.field, err.value.code) == ("account", "no_billing_contact")
    assert StatementDelivery.objects.count() == 0 and mail.outbox == []


def test_the_button_and_the_api_send_it_and_the_auditor_cannot(acme, client):
    client.force_login(UserFactory(role=roles.FINANCE))
    page = client.get(f"/collections/accounts/{acme.pk}/").content.decode()
    assert 'id="statement-email"' in page
    client.post(f"/collections/accounts/{acme.pk}/statement/email/", {"end": "2026-02-28"})
    response = client.post(
        f"/api/v1/collections/accounts/{acme.pk}/statement-email/",
        {"start": "2026-02-01", "end": "2026-02-28"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["closing_balance"] == "1000.0000"
    assert len(mail.outbox) == 2
    client.force_login(UserFactory(role=roles.AUDITOR))
    assert client.post(f"/collections/accounts/{acme.pk}/statement/email/").status_code == 403
    response = client.post(
        f"/api/v1/collections/accounts/{acme.pk}/statement-email/",
        {},
        content_type="application/json",
    )
    assert response.status_code == 403 and len(mail.outbox) == 2


def test_a_period_ending_after_today_is_refused_and_nothing_sent(acme):
    with pytest.raises(DomainValidationError) as err:
        email_statement(account=acme, start=date(2026, 2, 1), end=date(2099, 1, 31), actor=None)
    assert (err.value.field, err.value.code) == ("end", "in_the_future")
    assert StatementDelivery.objects.count() == 0 and mail.outbox == []
