"""Which step an invoice is at, as of a date: the pure rules of collections_app.dunning."""

from datetime import date
from decimal import Decimal

import pytest

from collections_app.dunning.schedule import (
    AccountFacts,
    InvoiceFacts,
    PlanState,
    PolicySnapshot,
    StepSnapshot,
    plan_for_invoice,
)

DUE = date(2026, 3, 10)
STANDARD = PolicySnapshot(
    id=1,
    name="Standard B2B",
    min_contact_days=3,
    steps=tuple(
        StepSnapshot(id=i, offset_days=o, action=a, label=f"{o:+d}")
        for i, (o, a) in enumerate(
            [
                (-7, "email"),
                (0, "email"),
                (3, "email"),
                (7, "email"),
                (14, "email"),
                (30, "email"),
                (35, "call"),
            ],
            start=1,
        )
    ),
)


def invoice(**overrides) -> InvoiceFacts:
    values = {"invoice_id": 1, "due_date": DUE, "open_amount": Decimal("100.00")}
    values.update(overrides)
    return InvoiceFacts(**values)


def account(**overrides) -> AccountFacts:
    values = {"policy": STANDARD}
    values.update(overrides)
    return AccountFacts(**values)


def plan(as_of: date, inv=None, acc=None):
    return plan_for_invoice(inv or invoice(), acc or account(), as_of=as_of)


@pytest.mark.parametrize(
    ("as_of", "state", "offset"),
    [
        (date(2026, 3, 2), PlanState.SCHEDULED, -7),  # 8 days before: nothing yet
        (date(2026, 3, 3), PlanState.DUE, -7),  # a week before the due date
        (date(2026, 3, 10), PlanState.DUE, 0),  # on the due date (nothing sent before)
        (date(2026, 3, 13), PlanState.DUE, 3),
        (date(2026, 4, 14), PlanState.DUE, 35),  # long overdue: straight to the call
    ],
)
def test_the_step_due_is_the_furthest_step_reached_before_or_after_the_due_date(
    as_of, state, offset
):
    result = plan(as_of)
    assert (result.state, result.step.offset_days) == (state, offset)


def test_a_scheduled_step_says_when_it_will_go_out():
    result = plan(date(2026, 3, 1))
    assert (result.step_date, result.action_date) == (date(2026, 3, 3), date(2026, 3, 3))


def test_steps_passed_are_skipped_not_sent_late_in_a_burst():
    done = frozenset({-7})
    result = plan(date(2026, 3, 20), invoice(done_offsets=done))  # +3 and +7 both reached
    assert (result.state, result.step.offset_days) == (PlanState.DUE, 7)


def test_a_step_already_done_is_not_due_again():
    result = plan(date(2026, 3, 13), invoice(done_offsets=frozenset({-7, 0, 3})))
    assert (result.state, result.step.offset_days) == (PlanState.SCHEDULED, 7)


def test_nothing_goes_backwards_when_a_later_step_is_done():
    result = plan(date(2026, 3, 14), invoice(done_offsets=frozenset({7})))
    assert result.state == PlanState.SCHEDULED and result.step.offset_days == 14


def test_the_minimum_contact_delay_holds_a_reminder_back_until_it_has_passed():
    # A 3-day gap under a 5-day minimum sends on day 5 [DUN-003].
    five_days = PolicySnapshot(id=2, name="Slow", min_contact_days=5, steps=STANDARD.steps)
    contacted = account(policy=five_days, last_contact_on=date(2026, 3, 10))
    held = plan(date(2026, 3, 13), invoice(done_offsets=frozenset({-7, 0})), contacted)
    assert (held.state, held.step.offset_days, held.action_date) == (
        PlanState.DEFERRED,
        3,
        date(2026, 3, 15),
    )
    released = plan(date(2026, 3, 15), invoice(done_offsets=frozenset({-7, 0})), contacted)
    assert (released.state, released.step.offset_days) == (PlanState.DUE, 3)


def test_the_contact_delay_counts_reminders_about_any_invoice_of_the_account():
    contacted = account(last_contact_on=date(2026, 3, 2))  # another invoice, yesterday
    result = plan(date(2026, 3, 3), invoice(), contacted)
    assert (result.state, result.action_date) == (PlanState.DEFERRED, date(2026, 3, 5))


def test_a_call_step_is_not_held_back_by_the_contact_delay():
    contacted = account(last_contact_on=date(2026, 4, 13))
    done = frozenset({-7, 0, 3, 7, 14, 30})
    result = plan(date(2026, 4, 14), invoice(done_offsets=done), contacted)
    assert (result.state, result.step.action) == (PlanState.DUE, "call")


def test_after_the_call_step_the_sequence_is_finished():
    done = frozenset({-7, 0, 3, 7, 14, 30, 35})
    assert plan(date(2026, 6, 1), invoice(done_offsets=done)).state == PlanState.FINISHED


@pytest.mark.parametrize(
    "settled",
    [
        {"is_paid": True, "open_amount": Decimal("0")},  # paid, or fully credited
        {"is_issued": False},  # void
        {"open_amount": Decimal("0")},  # nothing to collect
    ],
)
def test_dunning_stops_when_the_invoice_is_paid_credited_or_void(settled):
    assert plan(date(2026, 3, 13), invoice(**settled)).state == PlanState.STOPPED


def test_a_partial_payment_does_not_stop_dunning():
    result = plan(date(2026, 3, 13), invoice(open_amount=Decimal("0.01")))
    assert result.state == PlanState.DUE


@pytest.mark.parametrize(
    ("invoice_facts", "account_facts", "state"),
    [
        ({"dispute_open": True}, {}, PlanState.PAUSED_DISPUTE),
        ({"promise_pending": True}, {}, PlanState.PAUSED_PROMISE),
        ({}, {"paused": True}, PlanState.PAUSED_ACCOUNT),
        ({}, {"excluded": True}, PlanState.EXCLUDED),
        ({}, {"policy": None}, PlanState.NO_POLICY),
    ],
)
def test_disputes_promises_pauses_exclusions_and_no_policy_send_nothing(
    invoice_facts, account_facts, state
):
    assert plan(date(2026, 3, 13), invoice(**invoice_facts), account(**account_facts)).state == (
        state
    )
