"""Calls: a phone per billing contact, "log a call" with its outcome, and "Last contact".

Worked example: Acme's invoice due 10 March 2026 is 41 days overdue on 20 April, so
dunning flags a call to make. Fran calls Jo (+1 415 555 0100): no answer. The call is
logged, "Last contact" says "Call: No answer", and the call to make stays open. The next
day she reaches Jo, who promises to pay: the call to make is closed with that outcome
and the account leaves "Calls to make"."""

from datetime import date

import pytest
from freezegun import freeze_time

from collections_app.models import ActivityKind, CollectionActivity
from collections_app.selectors import worklist
from collections_app.selectors.worklist import last_contacts
from collections_app.services import log_call, send_due_reminders
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

DUE = date(2026, 3, 10)
APRIL_20 = date(2026, 4, 20)


@pytest.fixture
def fran():
    return UserFactory(role=roles.FINANCE)


@pytest.fixture
def acme():
    account = customer("Acme", contacts=0)
    ContactFactory(account=account, name="Jo", phone="+1 415 555 0100")
    issued_invoice(due=DUE, account=account)
    send_due_reminders(as_of=APRIL_20)  # the call step (+35 days) is due
    return account


def open_calls(account) -> int:
    return CollectionActivity.objects.filter(
        account=account, kind=ActivityKind.CALL, status="open"
    ).count()


def test_no_answer_is_logged_as_last_contact_and_the_call_to_make_stays_open(acme, fran):
    jo = acme.contacts.get()
    with freeze_time("2026-04-21 09:00"):
        logged = log_call(account=acme, outcome="no_answer", contact=jo, actor=fran)
    assert (logged.kind, logged.status, logged.call_outcome, logged.contact) == (
        "call", "done", "no_answer", jo
    )  # fmt: skip
    assert last_contacts([acme.pk])[acme.pk].what == "Call: No answer"
    assert open_calls(acme) == 1
    assert [r.account for r in worklist(as_of=date(2026, 4, 21), show="calls")] == [acme]


def test_reaching_the_customer_closes_the_calls_to_make_with_the_outcome(acme, fran):
    with freeze_time("2026-04-22 10:00"):
        done = log_call(account=acme, outcome="promise", note="Wire on Friday", actor=fran)
    assert (done.status, done.call_outcome, done.resolution_note, done.closed_by) == (
        "done", "promise", "Wire on Friday", fran
    )  # fmt: skip
    assert done.reminder is not None  # it is the call dunning asked for
    assert open_calls(acme) == 0
    assert worklist(as_of=date(2026, 4, 22), show="calls") == []
    assert last_contacts([acme.pk])[acme.pk].what == "Call: Reached: promised to pay"


def test_an_unknown_outcome_is_refused_and_nothing_is_logged(acme, fran):
    before = CollectionActivity.objects.count()
    with pytest.raises(DomainValidationError) as err:
        log_call(account=acme, outcome="maybe", actor=fran)
    assert (err.value.field, err.value.code) == ("outcome", "unknown_outcome")
    assert CollectionActivity.objects.count() == before


def test_a_contact_of_another_account_is_refused(acme, fran):
    stranger = ContactFactory(account=customer("Other", contacts=0), phone="+44 20 7946 0000")
    with pytest.raises(DomainValidationError) as err:
        log_call(account=acme, outcome="reached", contact=stranger, actor=fran)
    assert (err.value.field, err.value.code) == ("contact", "other_account_contact")
    assert open_calls(acme) == 1


def test_the_account_page_shows_the_phone_and_logs_a_call(acme, fran, client):
    client.force_login(fran)
    page = client.get(f"/collections/accounts/{acme.pk}/").content.decode()
    assert "+1 415 555 0100" in page and 'id="call-form"' in page
    response = client.post(
        f"/collections/accounts/{acme.pk}/call/",
        {"call-outcome": "left_message", "call-note": "Voicemail", "call-contact": ""},
    )
    assert response.status_code == 302
    logged = CollectionActivity.objects.get(call_outcome="left_message")
    assert (logged.created_by, logged.resolution_note) == (fran, "Voicemail")
    page = client.get(f"/collections/accounts/{acme.pk}/").content.decode()
    assert "Call: Left a message" in page


def test_the_auditor_cannot_log_a_call(acme, client):
    client.force_login(UserFactory(role=roles.AUDITOR))
    page = client.get(f"/collections/accounts/{acme.pk}/").content.decode()
    assert 'id="call-form"' not in page
    response = client.post(f"/collections/accounts/{acme.pk}/call/", {"call-outcome": "reached"})
    assert response.status_code == 403
    assert open_calls(acme) == 1
