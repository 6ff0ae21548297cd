"""A specialist resolves a sync issue.

Conflicts (and booking changes that reached a contract past draft) offer two choices:

- take_salesforce: the Salesforce value is written to the local record (through
  `update_contract` for contract terms and lines, so deal desk rules see the change;
  with history, the specialist as the author, for accounts, contacts and products);
- keep_local: nothing local changes.

Either way the Salesforce value becomes the record's last-synced value, so the same
Salesforce value does not raise the conflict again; a later, different Salesforce value
does. Other kinds (bad records, lost or deleted deals) are acknowledged: what to do
about the contract (cancel it, amend it) is a separate, deliberate step.
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_next_save
from core.errors import DomainValidationError
from integrations.error_codes import IntegrationError
from ordermgmt.models import Contract

from ..models import (
    RESOLUTIONS_BY_KIND,
    IssueKind,
    IssueStatus,
    Resolution,
    SyncedRecord,
    SyncIssue,
)
from .drafts import apply_contract_values

VALUE_KINDS = (IssueKind.CONFLICT, IssueKind.CONTRACT_LOCKED)


def _check(issue: SyncIssue, resolution: str) -> None:
    if not issue.is_open:
        raise DomainValidationError(
            field="status",
            code=IntegrationError.ALREADY_RESOLVED,
            message=f"Issue #{issue.pk} is already resolved ({issue.get_resolution_display()}).",
        )
    allowed = RESOLUTIONS_BY_KIND.get(issue.kind, [])
    if resolution not in allowed:
        raise DomainValidationError(
            field="resolution",
            code=IntegrationError.RESOLUTION_NOT_ALLOWED,
            message=(
                f"{resolution!r} does not resolve a {issue.get_kind_display().lower()} issue; "
                f"choose {' or '.join(allowed)}."
            ),
        )


def _take_salesforce_value(issue: SyncIssue, actor) -> None:
    if issue.field.startswith("contract."):
        contract = Contract.objects.filter(pk=issue.contract_id).first()
        if contract is None:
            raise DomainValidationError(
                field="resolution",
                code=IntegrationError.CONTRACT_MISSING,
                message="The contract this issue is about no longer exists.",
            )
        if not contract.is_editable:
            raise DomainValidationError(
                field="resolution",
                code=IntegrationError.CONTRACT_NOT_EDITABLE,
                message=(
                    f"The contract {contract.reference} is "
                    f"{contract.get_status_display().lower()}: record an amendment instead."
                ),
            )
        apply_contract_values(contract, {issue.field: issue.salesforce_value}, actor=actor)
        return
    model = apps.get_model(issue.local_model)
    with transaction.atomic(durable=True):
        row = model._default_manager.select_for_update().filter(pk=issue.local_id).first()
        if row is None:
            raise DomainValidationError(
                field="resolution",
                code=IntegrationError.RECORD_MISSING,
                message="The local record this issue is about no longer exists.",
            )
        model_field = model._meta.get_field(issue.field)
        setattr(row, model_field.attname, model_field.to_python(issue.salesforce_value))
        audit_next_save(
            row,
            actor=actor,
            reason=f"salesforce.conflict: took Salesforce value (issue #{issue.pk})",
        )
        update_fields = [model_field.attname]
        if any(f.name == "updated_at" for f in model._meta.fields):
            update_fields.append("updated_at")
        try:
            row.full_clean(
                exclude=[f.name for f in model._meta.fields if f.attname not in update_fields]
            )
        except ValidationError as err:
            raise DomainValidationError(
                field=issue.field,
                code=IntegrationError.INVALID,
                message="; ".join(err.messages),
            ) from err
        row.save(update_fields=update_fields)


def resolve_sync_issue(*, issue: SyncIssue, resolution: str, actor, note: str = "") -> SyncIssue:
    issue = SyncIssue.objects.get(pk=issue.pk)
    _check(issue, resolution)
    if issue.kind in VALUE_KINDS and resolution == Resolution.TAKE_SALESFORCE:
        # Its own (durable) transaction: update_contract is one.
        _take_salesforce_value(issue, actor)
    with transaction.atomic(durable=True):
        issue = SyncIssue.objects.select_for_update().get(pk=issue.pk)
        _check(issue, resolution)
        if issue.kind in VALUE_KINDS and issue.field:
            link = (
                SyncedRecord.objects.select_for_update()
                .filter(sf_object=issue.sf_object, sf_id=issue.sf_id)
                .first()
            )
            if link is not None:
                link.values = {**link.values, issue.field: issue.salesforce_value}
                link.save(update_fields=["values"])
        issue.transition_to(IssueStatus.RESOLVED)
        issue.resolution = resolution
        issue.resolved_by = actor if getattr(actor, "pk", None) else None
        issue.resolved_at = timezone.now()
        issue.resolution_note = note
        issue.save(
            update_fields=[
                "status",
                "resolution",
                "resolved_by",
                "resolved_at",
                "resolution_note",
            ]
        )
    return issue
