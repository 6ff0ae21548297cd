"""The dunning run reads its plans in batches of whole accounts: over several batches it
plans, previews and sends exactly what one batch of the whole book does, in the same
order, and a second run still sends nothing."""

from datetime import date, timedelta

import pytest
from django.core import mail

from collections_app.dunning.run import preview_dunning, run_dunning
from collections_app.models import AccountDunning, DunningPolicy, DunningReminder
from collections_app.selectors import dunning_plan_batches, dunning_plans
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    policy,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

AS_OF = date(2026, 3, 17)
WHOLE_BOOK = 1_000_000


@pytest.fixture
def book():
    """Seven accounts, one to four invoices each, one of them on a customer-level policy
    (its covered invoices must stay with their carrying invoice in one batch)."""
    per_customer = policy("Per customer", [3, 10])
    DunningPolicy.objects.filter(pk=per_customer.pk).update(per_customer=True)
    for n, days in enumerate([[16, 7], [36], [3, 9, 20, 1], [14], [40, 2], [8, 8, 30], [5]]):
        account = customer(f"Customer {n}", contacts=0 if n == 3 else 1)
        if n == 2:
            AccountDunning.objects.create(account=account, policy=per_customer)
        for offset in days:
            issued_invoice(account=account, due=AS_OF - timedelta(days=offset))
    issued_invoice(due=AS_OF + timedelta(days=20))  # no step reached yet


def planned(plans):
    return [(p.invoice.pk, p.invoice.account_id, p.plan.state, p.plan.step) for p in plans]


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5])
def test_the_batches_give_the_plans_of_the_whole_book_in_the_same_order(book, batch_size):
    batches = list(dunning_plan_batches(as_of=AS_OF, batch_size=batch_size))

    assert len(batches) > 2
    whole = dunning_plans(as_of=AS_OF, reachable_only=True)
    assert [planned(b) for b in batches] != [planned(whole)]
    assert [row for b in batches for row in planned(b)] == planned(whole)
    assert "covered" in {p.plan.state for p in whole}


def test_an_account_is_never_split_across_batches(book):
    accounts = [
        {p.invoice.account_id for p in batch}
        for batch in dunning_plan_batches(as_of=AS_OF, batch_size=1)
    ]
    assert sum(len(a) for a in accounts) == len(set().union(*accounts))


def test_the_preview_is_the_same_whatever_the_batch_size(book):
    whole = preview_dunning(as_of=AS_OF, batch_size=WHOLE_BOOK)
    assert whole.totals["emailed"] > 2 and whole.totals["deferred"] > 0
    for batch_size in [1, 2, 4]:
        assert preview_dunning(as_of=AS_OF, batch_size=batch_size).as_dict() == whole.as_dict()


def test_a_run_in_small_batches_sends_what_the_preview_of_the_whole_book_lists(book):
    preview = preview_dunning(as_of=AS_OF, batch_size=WHOLE_BOOK)

    done = run_dunning(as_of=AS_OF, batch_size=2)

    assert done.totals == preview.totals
    sent = [
        (line.invoice_id, line.step_offset_days)
        for line in preview.lines
        if line.outcome in {"emailed", "calls_flagged"}
    ]
    assert sorted(DunningReminder.objects.values_list("invoice_id", "offset_days")) == sorted(sent)
    assert len(mail.outbox) == preview.totals["emailed"]


def test_a_second_run_in_batches_sends_nothing(book):
    run_dunning(as_of=AS_OF, batch_size=3)
    reminders = DunningReminder.objects.count()

    again = run_dunning(as_of=AS_OF, batch_size=1)

    assert again.totals["emailed"] == again.totals["calls_flagged"] == 0
    assert DunningReminder.objects.count() == reminders
