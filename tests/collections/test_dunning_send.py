"""send_due_reminders: what is sent, to whom, once per step, and what stops or pauses it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from freezegun import freeze_time

from billing.services import void_invoice
from collections_app.models import (
    AccountDunning,
    ActivityKind,
    CollectionActivity,
    DunningReminder,
)
from collections_app.services import (
    open_dispute,
    pause_dunning,
    record_promise_to_pay,
    resolve_dispute,
    resume_dunning,
    send_due_reminders,
    set_account_dunning,
)
from ordermgmt.models import Contact
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    pay,
    policy,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

DUE = date(2026, 3, 10)


def sent_offsets(invoice) -> list[int]:
    return list(
        DunningReminder.objects.filter(invoice=invoice)
        .order_by("offset_days")
        .values_list("offset_days", flat=True)
    )


def test_a_reminder_goes_to_the_billing_contacts_a_week_before_the_due_date():
    account = customer("Acme Nederland B.V.", contacts=0)
    for name, email, billing in [
        ("Zoe Payables", "ap@acme.example", True),
        ("Amy Finance", "AP@ACME.example", True),  # the same mailbox
        ("Sam Sales", "sam@acme.example", False),
    ]:
        Contact.objects.create(account=account, name=name, email=email, is_billing_contact=billing)
    invoice = issued_invoice(due=DUE, account=account, total="1250.00")

    result = send_due_reminders(as_of=date(2026, 3, 3))

    assert result.emailed == 1
    (message,) = mail.outbox
    assert [a.lower() for a in message.to] == ["ap@acme.example"]  # once, billing only
    assert message.subject == f"Invoice {invoice.number} is due on 10 Mar 2026"
    assert "Hello Acme Nederland B.V.," in message.body
    assert "$1,250.00 is due on 10 Mar 2026, in 7 days" in message.body
    assert "IBAN DE89" in message.body  # payment details from the legal entity
    assert message.extra_headers["Message-ID"].startswith(f"<dunning.{invoice.pk}.")
    reminder = DunningReminder.objects.get(invoice=invoice)
    assert (reminder.offset_days, reminder.step_date, reminder.run_date) == (
        -7,
        date(2026, 3, 3),
        date(2026, 3, 3),
    )
    assert reminder.recipients == message.to


def test_nothing_is_sent_before_the_first_step():
    issued_invoice(due=DUE)
    assert send_due_reminders(as_of=date(2026, 3, 2)).emailed == 0
    assert mail.outbox == []


def test_running_twice_for_the_same_day_sends_each_step_once():
    invoice = issued_invoice(due=DUE)
    send_due_reminders(as_of=date(2026, 3, 3))
    second = send_due_reminders(as_of=date(2026, 3, 3))
    assert (second.emailed, len(mail.outbox)) == (0, 1)
    assert sent_offsets(invoice) == [-7]


def test_daily_runs_follow_the_default_schedule_and_end_with_a_call():
    invoice = issued_invoice(due=DUE)
    day = date(2026, 2, 20)
    while day <= date(2026, 5, 1):
        send_due_reminders(as_of=day)
        day += timedelta(days=1)

    reminders = DunningReminder.objects.filter(invoice=invoice).order_by("offset_days")
    assert [(r.offset_days, r.run_date) for r in reminders] == [
        (-7, date(2026, 3, 3)),
        (0, date(2026, 3, 10)),
        (3, date(2026, 3, 13)),
        (7, date(2026, 3, 17)),
        (14, date(2026, 3, 24)),
        (30, date(2026, 4, 9)),
        (35, date(2026, 4, 14)),
    ]
    assert len(mail.outbox) == 6  # the call step e-mails nobody
    assert mail.outbox[-1].subject.startswith("Final reminder")
    call = CollectionActivity.objects.get(kind=ActivityKind.CALL)
    assert (call.status, call.invoice, call.reminder) == ("open", invoice, reminders.last())
    assert reminders.last().recipients == []


def test_an_invoice_found_long_overdue_gets_the_step_it_has_reached_not_the_early_ones():
    invoice = issued_invoice(due=DUE)
    send_due_reminders(as_of=date(2026, 3, 30))  # +20: +14 is the furthest step reached
    assert sent_offsets(invoice) == [14]
    assert "20 days after its due date" in mail.outbox[0].body


def test_two_overdue_invoices_of_one_account_respect_the_minimum_contact_delay():
    account = customer()
    older = issued_invoice(due=date(2026, 3, 1), account=account, total="500.00")
    newer = issued_invoice(due=date(2026, 3, 2), account=account, total="900.00")
    # Default policy: at least 3 days between reminders to the same account.
    send_due_reminders(as_of=date(2026, 3, 4))
    assert (sent_offsets(older), sent_offsets(newer)) == ([3], [])  # oldest first
    assert send_due_reminders(as_of=date(2026, 3, 6)).deferred == 1
    send_due_reminders(as_of=date(2026, 3, 7))
    assert sent_offsets(newer) == [3]
    assert len(mail.outbox) == 2


def test_a_paid_invoice_gets_no_more_reminders():
    invoice = issued_invoice(due=DUE)
    send_due_reminders(as_of=date(2026, 3, 10))
    pay(invoice, "1000.00", on=date(2026, 3, 11))
    assert send_due_reminders(as_of=date(2026, 3, 13)).emailed == 0
    assert sent_offsets(invoice) == [0]


def test_a_partly_paid_invoice_is_reminded_of_what_is_left():
    invoice = issued_invoice(due=DUE)
    pay(invoice, "400.00", on=date(2026, 3, 11))
    send_due_reminders(as_of=date(2026, 3, 13))
    assert "The amount due is $600.00" in mail.outbox[0].body


def test_a_voided_invoice_gets_no_reminders():
    invoice = issued_invoice(due=DUE)
    void_invoice(invoice=invoice, actor=None, reason="Billed to the wrong entity")
    assert send_due_reminders(as_of=date(2026, 3, 13)).emailed == 0


def test_an_open_dispute_pauses_the_invoice_and_resolving_it_resumes_dunning(finance):
    invoice = issued_invoice(due=DUE)
    other = issued_invoice(due=DUE, account=customer())
    dispute = open_dispute(
        invoice=invoice, reason="pricing", amount=Decimal("200.00"), actor=finance
    )
    send_due_reminders(as_of=date(2026, 3, 13))
    assert (sent_offsets(invoice), sent_offsets(other)) == ([], [3])

    resolve_dispute(dispute=dispute, resolution="upheld", actor=finance, note="Price agreed")
    send_due_reminders(as_of=date(2026, 3, 17))
    assert sent_offsets(invoice) == [7]


@freeze_time("2026-03-11 09:00:00")
def test_a_pending_promise_pauses_the_invoice_until_the_promised_date(finance):
    invoice = issued_invoice(due=DUE)
    record_promise_to_pay(
        invoice=invoice, promised_date=date(2026, 3, 20), amount=Decimal("1000.00"), actor=finance
    )
    for day in range(11, 21):
        send_due_reminders(as_of=date(2026, 3, day))
    assert sent_offsets(invoice) == []
    # Broken: the 20th passed without the payment, so dunning picks up where it is.
    send_due_reminders(as_of=date(2026, 3, 21))
    assert sent_offsets(invoice) == [7]


def test_a_paused_account_gets_nothing_until_resumed(finance):
    invoice = issued_invoice(due=DUE)
    pause_dunning(account=invoice.account, reason="CFO on holiday, agreed by phone", actor=finance)
    assert send_due_reminders(as_of=date(2026, 3, 13)).emailed == 0
    resume_dunning(account=invoice.account, actor=finance)
    assert send_due_reminders(as_of=date(2026, 3, 13)).emailed == 1


def test_an_excluded_account_is_never_reminded(finance):
    invoice = issued_invoice(due=DUE)
    set_account_dunning(account=invoice.account, policy=None, excluded=True, actor=finance)
    assert send_due_reminders(as_of=date(2026, 3, 13)).emailed == 0
    assert AccountDunning.objects.get(account=invoice.account).history.count() == 1


def test_an_account_with_its_own_policy_follows_that_policy(finance):
    gentle = policy("Strategic accounts", [10, 40], min_contact_days=5)
    invoice = issued_invoice(due=DUE)
    set_account_dunning(account=invoice.account, policy=gentle, excluded=False, actor=finance)
    send_due_reminders(as_of=date(2026, 3, 13))
    assert mail.outbox == []
    send_due_reminders(as_of=date(2026, 3, 20))
    assert sent_offsets(invoice) == [10]
    assert mail.outbox[0].subject == f"{invoice.number} step +10"


def test_an_account_without_a_billing_contact_is_skipped_and_reminded_once_one_exists():
    account = customer(contacts=0)
    invoice = issued_invoice(due=DUE, account=account)
    assert send_due_reminders(as_of=date(2026, 3, 13)).no_billing_contact == 1
    assert DunningReminder.objects.count() == 0
    Contact.objects.create(account=account, name="AP", email="ap@late.example")
    send_due_reminders(as_of=date(2026, 3, 14))
    assert sent_offsets(invoice) == [3]


def test_an_inactive_default_policy_cannot_exist_and_no_policy_means_no_reminders():
    from collections_app.models import DunningPolicy

    DunningPolicy.objects.update(is_default=False, active=False)
    issued_invoice(due=DUE)
    assert send_due_reminders(as_of=date(2026, 3, 13)).emailed == 0


def test_a_failing_mail_server_records_nothing_and_the_step_is_tried_next_run(settings):
    settings.EMAIL_BACKEND = "tests.collections.test_dunning_send.DownBackend"
    invoice = issued_invoice(due=DUE)
    assert send_due_reminders(as_of=date(2026, 3, 13)).failed == 1
    assert sent_offsets(invoice) == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_due_reminders(as_of=date(2026, 3, 14))
    assert sent_offsets(invoice) == [3]


class DownBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_the_run_logs_ids_and_counts_but_no_customer_data(caplog):
    account = customer("Secretive Holdings Ltd", contacts=0)
    Contact.objects.create(account=account, name="AP", email="ap@secretive.example")
    issued_invoice(due=DUE, account=account, total="4321.00")
    with caplog.at_level("INFO"):
        send_due_reminders(as_of=date(2026, 3, 13))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "e-mailed to 1 billing contact" in text
    for secret in ["Secretive", "ap@secretive.example", "4,321", "4321"]:
        assert secret not in text
