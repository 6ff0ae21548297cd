"""The worklist's next dunning step per account (a few candidate invoices per account,
chosen in SQL) equals the per-invoice path's (a plan for every open invoice, then
next_action), whatever the accounts' states, on several dates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time

from collections_app.models import AccountDunning, DunningPolicy
from collections_app.selectors import (
    dunning_plans,
    invoice_facts,
    next_action,
    open_invoices,
    worklist,
)
from collections_app.services import (
    open_dispute,
    pause_dunning,
    record_promise_to_pay,
    send_due_reminders,
    set_account_dunning,
)
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    pay,
    policy,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

TODAY = date(2026, 6, 15)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def on_policy(name: str, chosen: DunningPolicy):
    account = customer(name)
    AccountDunning.objects.create(account=account, policy=chosen)
    return account


@pytest.fixture
def book():
    """Accounts in every state dunning knows, with reminders sent on earlier days."""
    actor = UserFactory()
    # Default policy: several invoices, two on one due date (carrying order by amount).
    due = customer("Due now")
    for n, total in [(20, "700.00"), (20, "900.00"), (10, "900.00"), (2, "50.00")]:
        issued_invoice(account=due, due=days_ago(n), total=total)
    issued_invoice(account=due, due=TODAY + timedelta(days=5))
    # A 10-day contact delay: what is reached waits; the older invoice's next step is
    # later than the newer one's, so the waiting order is not the carrying order.
    slow = policy("Slow", [0, 12, 30], min_contact_days=10)
    waiting = on_policy("Waiting", slow)
    issued_invoice(account=waiting, due=days_ago(36), total="300.00")
    issued_invoice(account=waiting, due=days_ago(9), total="300.00")
    issued_invoice(account=waiting, due=days_ago(4), total="300.00")
    # The contact delay puts two scheduled steps on one day: the carrying order decides
    # (the earlier step date is the newer invoice's; the first invoice is finished).
    spaced = on_policy("Spaced", policy("Spaced", [20, 40], min_contact_days=30))
    for n in [100, 25, 15]:
        issued_invoice(account=spaced, due=days_ago(n))
    # Customer-level: the carrying invoice walks the steps, the others are covered.
    per_customer = policy("Per customer", [3, 10], call_at=40)
    DunningPolicy.objects.filter(pk=per_customer.pk).update(per_customer=True)
    carried = on_policy("Per customer", per_customer)
    issued_invoice(account=carried, due=days_ago(45), total="100.00")
    issued_invoice(account=carried, due=days_ago(8), total="5000.00")
    # One step only, done: finished, and a dispute on its other invoice comes first.
    once = policy("Once", [0])
    finished = on_policy("Finished", once)
    issued_invoice(account=finished, due=days_ago(30))
    disputed_too = on_policy("Finished and disputed", once)
    issued_invoice(account=disputed_too, due=days_ago(30))
    held = issued_invoice(account=disputed_too, due=days_ago(1))
    # Disputes and promises hold their invoice only.
    disputed = customer("Disputed")
    oldest = issued_invoice(account=disputed, due=days_ago(25), total="4000.00")
    issued_invoice(account=disputed, due=days_ago(12), total="100.00")
    promised = customer("Promised")
    pending = issued_invoice(account=promised, due=days_ago(40), total="2000.00")
    kept = issued_invoice(account=promised, due=days_ago(35), total="2000.00")
    issued_invoice(account=promised, due=days_ago(3), total="10.00")
    everything_held = customer("Everything held")
    only = issued_invoice(account=everything_held, due=days_ago(15))
    waits_on_promise = issued_invoice(account=customer("Promise only"), due=days_ago(15))
    # Account-level states.
    pause_dunning(account=issued_invoice(due=days_ago(9)).account, reason="Talks", actor=actor)
    excluded = issued_invoice(due=days_ago(9)).account
    set_account_dunning(account=excluded, policy=None, excluded=True, actor=actor)
    retired = policy("Retired", [1, 2])
    issued_invoice(account=on_policy("Inactive policy", retired), due=days_ago(9))
    for day in [days_ago(40), days_ago(20), days_ago(7), days_ago(3)]:
        send_due_reminders(as_of=day)
    DunningPolicy.objects.filter(pk=retired.pk).update(active=False)
    with freeze_time(days_ago(6)):
        record_promise_to_pay(
            invoice=kept, promised_date=days_ago(2), amount=Decimal("500.00"), actor=actor
        )
    pay(kept, "500.00", on=days_ago(4))
    for invoice in [oldest, held, only]:
        open_dispute(invoice=invoice, reason="pricing", amount=Decimal("10.00"), actor=actor)
    with freeze_time(days_ago(1)):
        for invoice in [pending, only, waits_on_promise]:
            record_promise_to_pay(
                invoice=invoice, promised_date=TODAY + timedelta(days=7),
                amount=Decimal("900.00"), actor=actor,
            )  # fmt: skip


def per_invoice_next_action(account_id: int, as_of: date):
    plans = dunning_plans(as_of=as_of, account_ids=[account_id], invoice_fields=["number"])
    return next_action(plans)


def shown(action):
    if action is None:
        return None
    number = action.invoice.number if action.invoice else None
    return (action.state, action.label, action.when, number)


@freeze_time("2026-06-15 08:00:00")
@pytest.mark.parametrize("offset", [-1, 0, 3, 8, 25])
def test_each_row_shows_the_next_step_the_per_invoice_plans_give(book, offset):
    as_of = TODAY + timedelta(days=offset)

    rows = worklist(as_of=as_of)

    assert len(rows) >= 10
    for row in rows:
        expected = per_invoice_next_action(row.account.pk, as_of)
        assert (row.account.legal_name, shown(row.next_action)) == (
            row.account.legal_name,
            shown(expected),
        )


@freeze_time("2026-06-15 08:00:00")
def test_the_book_covers_every_state_the_worklist_shows(book):
    states = {
        row.next_action.state
        for offset in [-1, 0, 3, 8, 25]
        for row in worklist(as_of=TODAY + timedelta(days=offset))
        if row.next_action
    }
    assert states >= {
        "due", "deferred", "scheduled", "finished", "paused_dispute", "paused_promise",
        "paused_account", "excluded", "no_policy",
    }  # fmt: skip


@freeze_time("2026-06-15 08:00:00")
def test_promises_are_listed_on_open_invoices_only(book):
    rows = {row.account.legal_name: row for row in worklist(as_of=TODAY)}
    promised = rows["Promised"]
    assert [p.status.outcome for p in promised.promises] == ["pending"]
    invoice = promised.promises[0].activity.invoice
    pay(invoice, invoice.open_amount, on=TODAY)

    rows = {row.account.legal_name: row for row in worklist(as_of=TODAY)}

    assert rows["Promised"].promises == []
    assert shown(rows["Promised"].next_action) == shown(
        per_invoice_next_action(rows["Promised"].account.pk, TODAY)
    )


@freeze_time("2026-06-15 08:00:00")
def test_the_facts_read_by_account_are_the_facts_read_by_invoice(book):
    invoices = list(open_invoices())
    by_account = invoice_facts(
        invoices, as_of=TODAY, accounts={"account_id__in": {i.account_id for i in invoices}}
    )

    by_invoice = invoice_facts(invoices, as_of=TODAY)

    assert by_account == by_invoice
    assert any(f.done_offsets for f in by_invoice.values())
    assert any(f.dispute_open for f in by_invoice.values())
    assert any(f.promise_pending for f in by_invoice.values())
