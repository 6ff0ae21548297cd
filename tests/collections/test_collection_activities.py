"""Notes, promises to pay, disputes and calls: rules, kept and broken promises, and the
audit trail of each change."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from collections_app.models import ActivityKind, CollectionActivity
from collections_app.selectors import PromiseOutcome, promise_statuses
from collections_app.services import (
    add_collection_note,
    cancel_promise_to_pay,
    complete_call,
    open_dispute,
    record_promise_to_pay,
    resolve_dispute,
    send_due_reminders,
    update_dispute,
)
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    pay,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

DUE = date(2026, 3, 10)


def outcome(promise, as_of):
    return promise_statuses([promise], as_of=as_of)[promise.pk].outcome


@freeze_time("2026-03-12 10:00:00")
def test_a_promise_not_paid_by_its_date_is_flagged_broken_the_day_after(finance):
    invoice = issued_invoice(due=DUE)
    promise = record_promise_to_pay(
        invoice=invoice, promised_date=date(2026, 3, 20), amount=Decimal("1000.00"), actor=finance
    )
    assert outcome(promise, date(2026, 3, 20)) == PromiseOutcome.PENDING
    assert outcome(promise, date(2026, 3, 21)) == PromiseOutcome.BROKEN


@freeze_time("2026-03-12 10:00:00")
def test_a_promise_paid_in_full_by_its_date_is_kept(finance):
    invoice = issued_invoice(due=DUE)
    promise = record_promise_to_pay(
        invoice=invoice, promised_date=date(2026, 3, 20), amount=Decimal("600.00"), actor=finance
    )
    pay(invoice, "600.00", on=date(2026, 3, 12))
    assert outcome(promise, date(2026, 3, 25)) == PromiseOutcome.KEPT


@freeze_time("2026-03-25 10:00:00")
def test_a_payment_after_the_promised_date_does_not_unbreak_the_promise(finance):
    invoice = issued_invoice(due=DUE)
    with freeze_time("2026-03-12"):
        promise = record_promise_to_pay(
            invoice=invoice,
            promised_date=date(2026, 3, 20),
            amount=Decimal("1000.00"),
            actor=finance,
        )
    pay(invoice, "1000.00", on=date(2026, 3, 24))
    assert outcome(promise, date(2026, 3, 25)) == PromiseOutcome.BROKEN


@freeze_time("2026-03-21 10:00:00")
def test_a_partly_kept_promise_is_broken(finance):
    invoice = issued_invoice(due=DUE)
    with freeze_time("2026-03-12"):
        promise = record_promise_to_pay(
            invoice=invoice,
            promised_date=date(2026, 3, 20),
            amount=Decimal("1000.00"),
            actor=finance,
        )
    pay(invoice, "999.99", on=date(2026, 3, 19))
    status = promise_statuses([promise], as_of=date(2026, 3, 21))[promise.pk]
    assert (status.outcome, status.paid_toward) == (PromiseOutcome.BROKEN, Decimal("999.99"))


@freeze_time("2026-03-12 10:00:00")
@pytest.mark.parametrize(
    ("promised_date", "amount", "field", "code"),
    [
        (date(2026, 3, 11), "100.00", "promised_date", "in_the_past"),
        (date(2027, 3, 20), "100.00", "promised_date", "too_far"),
        (date(2026, 3, 20), "1000.01", "amount", "exceeds_open_balance"),
        (date(2026, 3, 20), "0", "amount", "not_positive"),
        (date(2026, 3, 20), "10.005", "amount", "not_rounded"),
    ],
)
def test_a_promise_is_refused_with_the_field_at_fault(finance, promised_date, amount, field, code):
    invoice = issued_invoice(due=DUE)
    with pytest.raises(DomainValidationError) as err:
        record_promise_to_pay(
            invoice=invoice, promised_date=promised_date, amount=Decimal(amount), actor=finance
        )
    assert (err.value.field, err.value.code) == (field, code)
    assert not CollectionActivity.objects.exists()


@freeze_time("2026-03-12 10:00:00")
def test_a_second_promise_waits_until_the_first_is_cancelled(finance):
    invoice = issued_invoice(due=DUE)
    first = record_promise_to_pay(
        invoice=invoice, promised_date=date(2026, 3, 20), amount=Decimal("500.00"), actor=finance
    )
    with pytest.raises(DomainValidationError) as err:
        record_promise_to_pay(
            invoice=invoice,
            promised_date=date(2026, 3, 25),
            amount=Decimal("500.00"),
            actor=finance,
        )
    assert err.value.code == "promise_pending"
    cancel_promise_to_pay(promise=first, reason="Customer revised the date", actor=finance)
    record_promise_to_pay(
        invoice=invoice, promised_date=date(2026, 3, 25), amount=Decimal("500.00"), actor=finance
    )
    first.refresh_from_db()
    assert outcome(first, date(2026, 3, 30)) == PromiseOutcome.CANCELLED


def test_a_promise_must_be_for_an_invoice_of_the_account_given(finance):
    due = timezone.localdate() + timedelta(days=20)
    invoice = issued_invoice(due=due)
    with pytest.raises(DomainValidationError) as err:
        record_promise_to_pay(
            invoice=invoice,
            account=customer(),
            promised_date=due - timedelta(days=5),
            amount=Decimal("1.00"),
            actor=finance,
        )
    assert (err.value.field, err.value.code) == ("invoice", "other_account")


def test_the_dispute_lifecycle_is_audited_with_who_when_before_and_after(finance, role_user):
    colleague = role_user(roles.FINANCE)
    invoice = issued_invoice(due=DUE)
    dispute = open_dispute(
        invoice=invoice,
        reason="quantity",
        amount=Decimal("300.00"),
        actor=finance,
        note="Customer says 8 seats, not 10",
    )
    update_dispute(dispute=dispute, owner=colleague, actor=finance)
    resolve_dispute(dispute=dispute, resolution="credited", actor=colleague, note="CN issued")

    history = list(CollectionActivity.objects.get(pk=dispute.pk).history.order_by("history_id"))
    assert [(h.history_user, h.history_change_reason) for h in history] == [
        (finance, "dispute.opened: quantity"),
        (finance, "dispute.updated"),
        (colleague, "dispute.resolved: credited"),
    ]
    changes = {c.field: (c.old, c.new) for c in history[2].diff_against(history[1]).changes}
    assert changes["status"] == ("open", "resolved")
    assert changes["resolution"] == ("", "credited")
    assert changes["closed_by"] == (None, colleague.pk)
    assert all(h.history_date for h in history)


def test_an_invoice_has_one_open_dispute_at_a_time(finance):
    invoice = issued_invoice(due=DUE)
    open_dispute(invoice=invoice, reason="pricing", amount=Decimal("10.00"), actor=finance)
    with pytest.raises(DomainValidationError) as err:
        open_dispute(invoice=invoice, reason="tax", amount=Decimal("10.00"), actor=finance)
    assert (err.value.field, err.value.code) == ("invoice", "dispute_open")


def test_a_resolved_dispute_cannot_be_resolved_again(finance):
    invoice = issued_invoice(due=DUE)
    dispute = open_dispute(
        invoice=invoice, reason="pricing", amount=Decimal("10.00"), actor=finance
    )
    resolve_dispute(dispute=dispute, resolution="withdrawn", actor=finance)
    with pytest.raises(DomainValidationError) as err:
        resolve_dispute(dispute=dispute, resolution="credited", actor=finance)
    assert (err.value.field, err.value.code) == ("status", "not_open")


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({"reason": "mood"}, "reason", "unknown_reason"),
        ({"amount": Decimal("1000.01")}, "amount", "exceeds_total"),
    ],
)
def test_a_dispute_is_refused_with_the_field_at_fault(finance, kwargs, field, code):
    invoice = issued_invoice(due=DUE)
    values = {"reason": "pricing", "amount": Decimal("100.00")} | kwargs
    with pytest.raises(DomainValidationError) as err:
        open_dispute(invoice=invoice, actor=finance, **values)
    assert (err.value.field, err.value.code) == (field, code)


def test_only_a_collector_can_own_a_dispute(finance, specialist):
    invoice = issued_invoice(due=DUE)
    with pytest.raises(DomainValidationError) as err:
        open_dispute(
            invoice=invoice,
            reason="pricing",
            amount=Decimal("100.00"),
            owner=specialist,
            actor=finance,
        )
    assert (err.value.field, err.value.code) == ("owner", "not_a_collector")


def test_a_note_needs_text_and_is_audited(finance):
    account = customer()
    with pytest.raises(DomainValidationError) as err:
        add_collection_note(account=account, body="   ", actor=finance)
    assert (err.value.field, err.value.code) == ("body", "required")
    note = add_collection_note(account=account, body="Left a voicemail with AP", actor=finance)
    assert note.history.get().history_user == finance


def test_the_call_flagged_by_dunning_is_closed_with_what_was_agreed(finance):
    invoice = issued_invoice(due=DUE)
    send_due_reminders(as_of=date(2026, 4, 20))  # long overdue: the call step
    call = CollectionActivity.objects.get(kind=ActivityKind.CALL)
    assert call.invoice == invoice
    done = complete_call(call=call, outcome="Pays Friday by wire", actor=finance)
    assert (done.status, done.closed_by, done.resolution_note) == (
        "done",
        finance,
        "Pays Friday by wire",
    )
    with pytest.raises(DomainValidationError) as err:
        complete_call(call=call, outcome="again", actor=finance)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
