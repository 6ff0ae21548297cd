"""Dunning policies and their steps, written over the API with the admin's rules.

Each write runs the models' own validation (`full_clean`: the one default, an active
default, e-mail steps with a subject and body whose placeholders exist, offsets in range)
and is audited with the actor. Steps are given whole and matched by their offset: an
offset that is new adds a step, one that is gone removes it, unless reminders were
already sent for it (their record must not move), which is refused."""

from __future__ import annotations

from django.db import transaction

from collections_app.error_codes import CollectionsError
from collections_app.models import DunningPolicy, DunningStep
from core.errors import DomainValidationError
from ordermgmt.services.reference import save_validated

POLICY_FIELDS = {
    "name", "description", "min_contact_days", "is_default", "active", "per_customer",
}  # fmt: skip
STEP_FIELDS = {"offset_days", "action", "name", "subject_template", "body_template"}


def _apply(instance, fields: dict, allowed: set[str]) -> None:
    for name, value in fields.items():
        if name in allowed:
            setattr(instance, name, value)


def _prefixed(err: DomainValidationError, index: int) -> DomainValidationError:
    return DomainValidationError(
        field=f"steps[{index}].{err.field}",
        code=err.code,
        message=f"Step {index + 1}: {err.message}",
    )


def _save_steps(policy: DunningPolicy, steps: list[dict], actor) -> None:
    offsets = [step.get("offset_days") for step in steps]
    duplicates = sorted({o for o in offsets if offsets.count(o) > 1})
    if duplicates:
        raise DomainValidationError(
            field="steps",
            code=CollectionsError.DUPLICATE_OFFSET,
            message=f"Two steps at the same offset ({', '.join(map(str, duplicates))} days).",
        )
    existing = {step.offset_days: step for step in policy.steps.select_for_update()}
    for offset, step in existing.items():
        if offset in offsets:
            continue
        if step.reminders.exists():
            raise DomainValidationError(
                field="steps",
                code=CollectionsError.STEP_IN_USE,
                message=f"The step at {offset:+d} days has sent reminders: keep it, or make "
                "a new policy.",
            )
        step.delete()
    for index, fields in enumerate(steps):
        step = existing.get(fields.get("offset_days")) or DunningStep(policy=policy)
        _apply(step, fields, STEP_FIELDS)
        try:
            save_validated(step, actor=actor, reason="dunning_step.saved_over_api")
        except DomainValidationError as err:
            raise _prefixed(err, index) from err


@transaction.atomic(durable=True)
def create_dunning_policy(*, actor, steps: list[dict] | None = None, **fields) -> DunningPolicy:
    policy = DunningPolicy()
    _apply(policy, fields, POLICY_FIELDS)
    save_validated(policy, actor=actor, reason="dunning_policy.created")
    _save_steps(policy, steps or [], actor)
    return policy


@transaction.atomic(durable=True)
def change_dunning_policy(
    policy: DunningPolicy, *, actor, steps: list[dict] | None = None, **changes
) -> DunningPolicy:
    policy = DunningPolicy.objects.select_for_update().get(pk=policy.pk)
    _apply(policy, changes, POLICY_FIELDS)
    save_validated(policy, actor=actor, reason="dunning_policy.changed")
    if steps is not None:
        _save_steps(policy, steps, actor)
    return policy
