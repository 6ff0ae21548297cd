"""A Stripe push's state moves only along PUSH_TRANSITIONS (core.transitions), like an
invoice's status: an attempt starts from any unfinished state and ends pushed, skipped,
retrying or failed; pushed and skipped are final."""

import re
from pathlib import Path

import pytest

from core.errors import DomainValidationError
from integrations.stripe.models import (
    PUSH_TRANSITIONS,
    PushState,
    StripeCreditNotePush,
    StripeInvoicePush,
)

STRIPE_CODE = Path(__file__).resolve().parents[3] / "integrations" / "stripe"


@pytest.mark.parametrize("final", [PushState.PUSHED, PushState.SKIPPED])
@pytest.mark.parametrize("model", [StripeInvoicePush, StripeCreditNotePush])
def test_a_finished_push_cannot_start_again_and_keeps_its_state(model, final):
    push = model(state=final)
    with pytest.raises(DomainValidationError) as err:
        push.transition_to(PushState.IN_PROGRESS)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert "A Stripe push cannot move from" in err.value.message
    assert push.state == final


@pytest.mark.parametrize("start", [PushState.PENDING, PushState.RETRYING, PushState.FAILED])
def test_an_unfinished_push_starts_and_may_be_queued_again(start):
    push = StripeInvoicePush(state=start)
    push.transition_to(PushState.IN_PROGRESS)
    assert push.state == PushState.IN_PROGRESS
    push.transition_to(PushState.PENDING)  # a stalled attempt queued again
    assert push.state == PushState.PENDING


def test_only_an_attempt_in_progress_ends_a_push():
    enders = {PushState.PUSHED, PushState.SKIPPED, PushState.RETRYING, PushState.FAILED}
    assert [s for s, targets in PUSH_TRANSITIONS.items() if targets & enders] == [
        PushState.IN_PROGRESS
    ]
    assert set(PUSH_TRANSITIONS) == set(PushState)


def test_no_stripe_code_sets_a_push_state_directly():
    assigned = re.compile(r"\.state\s*=(?!=)")
    offenders = [
        f"{path.relative_to(STRIPE_CODE)}:{number}"
        for path in STRIPE_CODE.rglob("*.py")
        if "simulator" not in path.parts and "migrations" not in path.parts
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if assigned.search(text)
    ]
    assert offenders == []
