"""Calls: a collector logs a call made to an account, with its outcome.

Reaching the customer (reached, a promise, a dispute) closes the account's open calls
to make, each recording the outcome; an attempt that reached nobody (no answer, a
message left, a wrong number) is logged as a call made and the calls to make stay open
for another try. Either way "Last contact" shows the call and its outcome."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from collections_app.error_codes import CollectionsError
from collections_app.models import ActivityKind, ActivityStatus, CallOutcome, CollectionActivity
from core.audit import actor_or_none, audit_next_save
from core.errors import DomainValidationError
from ordermgmt.models import Account, Contact

REACHED = {CallOutcome.REACHED, CallOutcome.PROMISE, CallOutcome.DISPUTE}
MAX_NOTE = 5000


@transaction.atomic(durable=True)
def log_call(
    *,
    account: Account,
    outcome: str,
    actor,
    note: str = "",
    contact: Contact | None = None,
) -> CollectionActivity:
    """Returns the call record: the (first) call to make it closed, or the attempt."""
    if outcome not in CallOutcome.values:
        raise DomainValidationError(
            field="outcome",
            code=CollectionsError.UNKNOWN_OUTCOME,
            message=f"The outcome is one of {', '.join(CallOutcome.values)}.",
        )
    if contact is not None and contact.account_id != account.pk:
        raise DomainValidationError(
            field="contact",
            code=CollectionsError.OTHER_ACCOUNT_CONTACT,
            message=f"{contact} is a contact of another account.",
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainValidationError(
            field="note",
            code=CollectionsError.TOO_LONG,
            message=f"The note is at most {MAX_NOTE} characters.",
        )
    now = timezone.now()
    closed = []
    if outcome in REACHED:
        open_calls = CollectionActivity.objects.select_for_update().filter(
            account=account, kind=ActivityKind.CALL, status=ActivityStatus.OPEN
        )
        for task in open_calls.order_by("created_at", "id"):
            task.transition_to(ActivityStatus.DONE)
            _record(task, outcome, note, contact, actor, now)
            audit_next_save(task, actor=actor, reason=f"call.done: {outcome}")
            task.save()
            closed.append(task)
    if closed:
        return closed[0]
    attempt = CollectionActivity(
        account=account, kind=ActivityKind.CALL, status=ActivityStatus.DONE,
        created_by=actor_or_none(actor), owner=actor_or_none(actor),
    )  # fmt: skip
    _record(attempt, outcome, note, contact, actor, now)
    audit_next_save(attempt, actor=actor, reason=f"call.logged: {outcome}")
    attempt.save()
    return attempt


def _record(activity, outcome, note, contact, actor, now) -> None:
    activity.call_outcome = outcome
    activity.resolution_note = note or CallOutcome(outcome).label
    activity.contact = contact
    activity.closed_at = now
    activity.closed_by = actor_or_none(actor)
