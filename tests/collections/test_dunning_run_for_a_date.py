"""run_dunning for a date: the dry run lists what would be sent and why, the real run for
the same date does exactly that, and a second run sends nothing.

Worked example, as of 17 March 2026 under the default policy (5-day contact delay):
- Acme has two overdue invoices: due 1 March (16 days: the +14 step) and due 10 March
  (7 days: the +7 step). The oldest goes first and is e-mailed; the other waits for the
  contact delay.
- Globex has no billing contact: its +14 step cannot be e-mailed.
- Initech's invoice is 36 days overdue: the +35 call step, a call to make.
- Umbrella's invoice is due in April: nothing yet."""

from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command

from collections_app.dunning.run import run_dunning
from collections_app.models import DunningReminder
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

AS_OF = date(2026, 3, 17)


@pytest.fixture
def book():
    acme = customer("Acme")
    # Issued in date order: invoice numbers follow invoice dates.
    return {
        "initech": issued_invoice(account=customer("Initech"), due=date(2026, 2, 9)),
        "acme_old": issued_invoice(account=acme, due=date(2026, 3, 1)),
        "globex": issued_invoice(account=customer("Globex", contacts=0), due=date(2026, 3, 1)),
        "acme_new": issued_invoice(account=acme, due=date(2026, 3, 10)),
        "umbrella": issued_invoice(account=customer("Umbrella"), due=date(2026, 4, 20)),
    }


def outcomes(report):
    return {(line.invoice_id, line.outcome) for line in report.lines}


def test_the_dry_run_lists_what_would_be_sent_and_why_and_sends_nothing(book):
    report = run_dunning(as_of=AS_OF, dry_run=True)
    assert outcomes(report) == {
        (book["acme_old"].pk, "emailed"),
        (book["acme_new"].pk, "deferred"),
        (book["globex"].pk, "no_billing_contact"),
        (book["initech"].pk, "calls_flagged"),
    }
    old = next(line for line in report.lines if line.invoice_id == book["acme_old"].pk)
    assert old.days_past_due == 16 and "+14" in old.step and old.recipients
    assert "16 days past due" in old.why
    assert (DunningReminder.objects.count(), len(mail.outbox)) == (0, 0)


def test_the_real_run_does_what_the_dry_run_said(book):
    preview = run_dunning(as_of=AS_OF, dry_run=True)
    done = run_dunning(as_of=AS_OF)
    assert done.totals == preview.totals
    sent = {(line.invoice_id, line.step, line.outcome) for line in done.lines}
    expected = {
        (line.invoice_id, line.step, line.outcome)
        for line in preview.lines
        if line.outcome in ("emailed", "calls_flagged")
    }
    assert sent == expected
    assert len(mail.outbox) == preview.totals["emailed"] == 1


def test_a_second_run_for_the_same_date_sends_nothing(book):
    run_dunning(as_of=AS_OF)
    reminders, outbox = DunningReminder.objects.count(), len(mail.outbox)
    again = run_dunning(as_of=AS_OF)
    assert (again.totals["emailed"], again.totals["calls_flagged"], again.lines) == (0, 0, [])
    assert (DunningReminder.objects.count(), len(mail.outbox)) == (reminders, outbox)
    assert run_dunning(as_of=AS_OF, dry_run=True).totals["emailed"] == 0


def test_a_real_run_cannot_be_dated_after_today(book):
    with pytest.raises(DomainValidationError) as err:
        run_dunning(as_of=date(2099, 1, 1))
    assert (err.value.field, err.value.code) == ("as_of", "in_the_future")
    assert DunningReminder.objects.count() == 0


def test_the_command_previews_then_sends(book, capsys):
    call_command("run_dunning", "--as-of", AS_OF.isoformat(), "--dry-run")
    out = capsys.readouterr().out
    assert "Would do as of 2026-03-17: emailed 1, calls_flagged 1, deferred 1" in out
    assert DunningReminder.objects.count() == 0
    call_command("run_dunning", "--as-of", AS_OF.isoformat())
    assert DunningReminder.objects.count() == 2


def test_the_api_previews_for_an_auditor_and_sends_only_for_finance(book, client):
    client.force_login(UserFactory(role=roles.AUDITOR))
    url = "/api/v1/collections/dunning-runs/"
    preview = client.post(url, {"as_of": "2026-03-17"}, content_type="application/json")
    assert preview.status_code == 200
    assert preview.json()["totals"]["emailed"] == 1
    refused = client.post(
        url, {"as_of": "2026-03-17", "dry_run": False}, content_type="application/json"
    )
    assert refused.status_code == 403 and DunningReminder.objects.count() == 0
    client.force_login(UserFactory(role=roles.FINANCE))
    sent = client.post(
        url, {"as_of": "2026-03-17", "dry_run": False}, content_type="application/json"
    )
    assert sent.json()["totals"] == preview.json()["totals"]
