"""Customer-level dunning: one reminder per customer lists all its overdue invoices, and
the steps follow the customer's oldest unpaid ("carrying") invoice.

Worked example (policy "Per customer": e-mails at +3 and +10 days, no contact delay):
Acme owes A (1,000.00, due 1 March 2026), B (500.00, due 5 March) and C (200.00, due 20
March). On 10 March A carries: its +3 step (4 March) is the furthest reached, so one
e-mail goes out, about A, listing A and B (C is not yet due). Per invoice, B's +3 step
(8 March) would have sent a second e-mail. The dry run says exactly that, and a second
run sends nothing. On 11 March A's +10 step is due: one e-mail again. Once A is paid, B
carries: on 12 March its +3 step is reached (its +10 on 15 March is not), one e-mail."""

from datetime import date

import pytest
from django.core import mail

from collections_app.dunning.run import run_dunning
from collections_app.models import AccountDunning, DunningPolicy, DunningReminder
from collections_app.selectors import dunning_plans
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    pay,
    policy,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]


@pytest.fixture
def book():
    acme = customer("Acme")
    per_customer = policy("Per customer", [3, 10])
    per_customer.per_customer = True
    per_customer.save()
    AccountDunning.objects.create(account=acme, policy=per_customer)
    return {
        "A": issued_invoice(account=acme, due=date(2026, 3, 1), total="1000.00"),
        "B": issued_invoice(account=acme, due=date(2026, 3, 5), total="500.00"),
        "C": issued_invoice(account=acme, due=date(2026, 3, 20), total="200.00"),
    }


def test_one_reminder_about_the_carrying_invoice_lists_every_overdue_invoice(book):
    preview = run_dunning(as_of=date(2026, 3, 10), dry_run=True)
    assert [(line.invoice_id, line.outcome, line.step_offset_days) for line in preview.lines] == [
        (book["A"].pk, "emailed", 3)
    ]
    done = run_dunning(as_of=date(2026, 3, 10))
    assert done.totals == preview.totals
    (message,) = mail.outbox
    assert book["A"].number in message.subject
    assert book["A"].number in message.body and book["B"].number in message.body
    assert book["C"].number not in message.body.split("All overdue invoices")[1]
    states = {p.invoice.pk: p.plan.state for p in dunning_plans(as_of=date(2026, 3, 10))}
    assert states[book["B"].pk] == "covered"


def test_a_second_run_for_the_same_date_sends_nothing(book):
    run_dunning(as_of=date(2026, 3, 10))
    again = run_dunning(as_of=date(2026, 3, 10))
    assert again.totals["emailed"] == 0
    assert run_dunning(as_of=date(2026, 3, 10), dry_run=True).totals["emailed"] == 0
    assert len(mail.outbox) == DunningReminder.objects.count() == 1


def test_the_sequence_follows_the_carrying_invoice_and_moves_on_when_it_is_paid(book):
    run_dunning(as_of=date(2026, 3, 10))
    run_dunning(as_of=date(2026, 3, 11))  # A's +10
    assert list(DunningReminder.objects.order_by("id").values_list("invoice", "offset_days")) == [
        (book["A"].pk, 3), (book["A"].pk, 10)
    ]  # fmt: skip
    pay(book["A"], "1000.00", on=date(2026, 3, 11))
    run_dunning(as_of=date(2026, 3, 12))  # B carries: its +3 (8 March) is reached
    last = DunningReminder.objects.order_by("-id").first()
    assert (last.invoice_id, last.offset_days) == (book["B"].pk, 3)
    assert len(mail.outbox) == 3


def test_per_invoice_the_same_book_sends_one_e_mail_per_invoice(book):
    DunningPolicy.objects.filter(name="Per customer").update(per_customer=False)
    run_dunning(as_of=date(2026, 3, 10))
    assert len(mail.outbox) == 2  # A's and B's own reminders at +3
