"""Upsert by Salesforce id, in bulk, without ever overwriting a local edit.

For each record the three values of every mapped field are compared (all in canonical
form, see mapping.canonical):

    base   = what Salesforce said at the last sync (SyncedRecord.values)
    remote = what Salesforce says now
    local  = what the Ledgerline row holds now

    remote == base                    Salesforce did not change it: nothing to do (a
                                      local edit, if any, stays)
    local == base, remote != base     changed in Salesforce only: write it
    local == remote                   both agree: just remember it as the base
    otherwise                         changed on both sides: a conflict SyncIssue; the
                                      row keeps its local value, the base stays, so the
                                      conflict is seen again until someone resolves it

A row linked for the first time (found by salesforce_id, or a product by SKU) has no
base: a field that differs is a conflict rather than a silent overwrite.

Writes are batched per page: one query loads the links, one the rows (both locked with
SELECT ... FOR UPDATE, so a specialist's save waits instead of being lost), then
bulk_create / bulk_update (with simple-history rows for audited models) write only the
rows and fields that changed. Equal values cause no write at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from ordermgmt.services.bulk_rows import NewRows, copy_new_rows

from ..models import IssueKind, Resolution, SyncedRecord
from .bulk import any_of, update_rows
from .context import MISSING, Incoming, IssueBook, IssueDraft, SyncContext
from .mapping import CONTRACT_PREFIX, ObjectMap, canonical, canonical_values

logger = logging.getLogger("integrations.salesforce.sync")


@dataclass
class UpsertResult:
    local_ids: dict[str, int] = field(default_factory=dict)
    links: dict[str, SyncedRecord] = field(default_factory=dict)
    rows: dict[str, models.Model] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    previous_base: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class MergeOutcome:
    changes: dict[str, Any]
    base: dict[str, Any]
    conflicts: list[tuple[str, Any, Any]]
    agreed: list[str]


def merge_fields(
    fields: Iterable[str], remote: dict[str, Any], base: dict[str, Any], read_local: Callable
) -> MergeOutcome:
    """The three-way rule of this module's docstring, field by field."""
    changes: dict[str, Any] = {}
    new_base: dict[str, Any] = {}
    conflicts: list[tuple[str, Any, Any]] = []
    agreed: list[str] = []
    for name in fields:
        if name not in remote:
            continue
        r = canonical(remote[name])
        local = canonical(read_local(name))
        b = base.get(name, MISSING)
        if b is MISSING:
            if local == r:
                new_base[name] = r
                agreed.append(name)
            else:
                conflicts.append((name, local, r))
            continue
        if r == b:
            new_base[name] = b
            if local == r:
                agreed.append(name)
        elif local in (b, r):
            if local != r:
                changes[name] = remote[name]
            new_base[name] = r
            agreed.append(name)
        else:
            new_base[name] = b
            conflicts.append((name, local, r))
    return MergeOutcome(changes, new_base, conflicts, agreed)


_LINK = NewRows(SyncedRecord)


class RecordUpsert:
    """Upserts records of one Salesforce object into one model (see module docstring)."""

    def __init__(
        self,
        ctx: SyncContext,
        issues: IssueBook,
        spec: ObjectMap,
        model: type[models.Model],
        *,
        history: bool,
        structural_fields: tuple[str, ...] = (),
        natural_key: str | None = None,
        hold_contract_terms: Callable[[SyncedRecord], bool] | None = None,
        issue_refs: Callable[[Incoming, models.Model], dict[str, Any]] | None = None,
    ) -> None:
        self.ctx = ctx
        self.issues = issues
        self.spec = spec
        self.model = model
        self.history = history
        self.fields = [*spec.local_fields(), *structural_fields]
        self.natural_key = natural_key
        self.hold_contract_terms = hold_contract_terms
        self.issue_refs = issue_refs or (lambda item, row: {})
        self.local_model = f"{model._meta.app_label}.{model._meta.model_name}"
        self.touch_updated_at = any(f.name == "updated_at" for f in model._meta.fields)
        self.new_row = NewRows(model)

    def run(
        self,
        incoming: Iterable[Incoming],
        *,
        on_link: Callable[[SyncedRecord, Incoming, bool], None] | None = None,
    ) -> UpsertResult:
        newest: dict[str, Incoming] = {}
        for item in incoming:
            seen = newest.get(item.sf_id)
            if seen is None or (item.modstamp and seen.modstamp and item.modstamp > seen.modstamp):
                newest[item.sf_id] = item
        result = UpsertResult()
        sf_object = self.spec.sf_object
        for sf_id, item in list(newest.items()):
            hit = self.ctx.seen.get((sf_object, sf_id))
            if hit is not None and item.modstamp is not None and hit[0] == item.modstamp:
                result.local_ids[sf_id] = hit[1].pk
                result.rows[sf_id] = hit[1]
                del newest[sf_id]
        if not newest:
            return result
        links = {
            link.sf_id: link
            for link in SyncedRecord.objects.select_for_update().filter(
                any_of("sf_id", newest), sf_object=sf_object
            )
        }
        local_ids = [link.local_id for link in links.values()]
        rows = (
            {
                row.pk: row
                for row in self.model._default_manager.select_for_update().filter(
                    any_of("pk", local_ids)
                )
            }
            if local_ids
            else {}
        )
        found = self._find_unlinked(newest, links, rows)

        to_create: list[tuple[str, models.Model]] = []
        to_update: dict[str, models.Model] = {}
        changed_fields: set[str] = set()
        before: dict[str, tuple[Any, Any, Any]] = {}
        now = timezone.now()

        for sf_id, item in newest.items():
            link = links.get(sf_id)
            row = rows.get(link.local_id) if link else None
            base: dict[str, Any] = dict(link.values) if (link and row is not None) else {}
            if row is None:
                row = found.get(sf_id)
            result.previous_base[sf_id] = dict(link.values) if link else {}
            if row is None:
                row = self.new_row(
                    {
                        "salesforce_id": sf_id,
                        **{f: item.values[f] for f in self.fields if f in item.values},
                    }
                )
                to_create.append((sf_id, row))
                new_base = canonical_values(item.values)
                result.created.add(sf_id)
            else:
                if (
                    link is not None
                    and link.system_modstamp
                    and item.modstamp
                    and item.modstamp < link.system_modstamp
                ):
                    # An older copy (e.g. embedded in a page read before a newer one).
                    result.local_ids[sf_id] = row.pk
                    result.links[sf_id] = link
                    result.rows[sf_id] = row
                    self.ctx.count(sf_object, "unchanged")
                    continue
                outcome = merge_fields(
                    self.fields, item.values, base, lambda name, row=row: getattr(row, name)
                )
                new_base = {
                    **{k: v for k, v in base.items() if k.startswith(CONTRACT_PREFIX)},
                    **outcome.base,
                }
                for key, value in item.values.items():
                    if key.startswith(CONTRACT_PREFIX):
                        hold = (
                            link is not None
                            and self.hold_contract_terms is not None
                            and self.hold_contract_terms(link)
                        )
                        if not hold:
                            new_base[key] = canonical(value)
                refs = self.issue_refs(item, row)
                for name, local_value, remote_value in outcome.conflicts:
                    self.issues.open(
                        IssueDraft(
                            kind=IssueKind.CONFLICT,
                            sf_object=sf_object,
                            sf_id=sf_id,
                            field=name,
                            code="changed_on_both_sides",
                            message=(
                                "Changed here and in Salesforce since the last sync; "
                                "the local value was kept."
                                if name in base
                                else "Linked to an existing Ledgerline record that differs "
                                "from Salesforce; the local value was kept."
                            ),
                            local_value=local_value,
                            salesforce_value=remote_value,
                            local_model=self.local_model,
                            local_id=row.pk,
                            **refs,
                        )
                    )
                for name in outcome.agreed:
                    self.issues.resolve(IssueKind.CONFLICT, sf_id, name, Resolution.CONVERGED)
                if row.salesforce_id != sf_id:
                    row.salesforce_id = sf_id
                    outcome.changes.setdefault("salesforce_id", sf_id)
                if outcome.changes:
                    for name, value in outcome.changes.items():
                        setattr(row, name, value)
                    to_update[sf_id] = row
                    changed_fields.update(outcome.changes)
                    result.updated.add(sf_id)
                    self.ctx.count(sf_object, "updated")
                else:
                    self.ctx.count(sf_object, "unchanged")
            result.rows[sf_id] = row
            if link is None:
                link = _LINK(
                    {
                        "sf_object": sf_object,
                        "sf_id": sf_id,
                        "local_id": 0,
                        "values": new_base,
                        "system_modstamp": item.modstamp,
                        "last_run_id": self.ctx.run.pk,
                    }
                )
                if on_link:
                    on_link(link, item, True)
            else:
                before[sf_id] = (link.values, link.system_modstamp, link.flags())
                link.values = new_base
                link.system_modstamp = max(
                    filter(None, [link.system_modstamp, item.modstamp]), default=None
                )
                if on_link:
                    on_link(link, item, False)
            result.links[sf_id] = link

        self._write(to_create, to_update, changed_fields, now)
        self.ctx.count(sf_object, "created", len(to_create))
        fresh: list[SyncedRecord] = []
        dirty: list[SyncedRecord] = []
        for sf_id, link in result.links.items():
            row = result.rows[sf_id]
            result.local_ids[sf_id] = row.pk
            if link.system_modstamp is not None:
                self.ctx.staged[(sf_object, sf_id)] = (link.system_modstamp, row)
            if link.pk is None:
                link.local_id = row.pk
                fresh.append(link)
                continue
            if sf_id not in before:
                continue  # an older copy: left alone
            changed = (link.values, link.system_modstamp, link.flags()) != before[sf_id]
            if link.local_id != row.pk:
                link.local_id = row.pk
                changed = True
            if changed:
                link.last_run = self.ctx.run
                link.synced_at = now
                dirty.append(link)
        if fresh:
            copy_new_rows(fresh)
        if dirty:
            update_rows(
                dirty,
                [
                    "values",
                    "system_modstamp",
                    "local_id",
                    "closed_won",
                    "deleted_in_salesforce",
                    "contract_pending",
                    "contract",
                    "last_run",
                    "synced_at",
                ],
            )
        return result

    def _find_unlinked(
        self,
        newest: dict[str, Incoming],
        links: dict[str, SyncedRecord],
        rows: dict[int, models.Model],
    ) -> dict[str, models.Model]:
        """Rows not linked yet: by salesforce_id, then (products) by SKU."""
        missing = [
            sf_id for sf_id in newest if sf_id not in links or links[sf_id].local_id not in rows
        ]
        if not missing:
            return {}
        manager = self.model._default_manager.select_for_update()
        found = {row.salesforce_id: row for row in manager.filter(any_of("salesforce_id", missing))}
        if self.natural_key:
            wanted = {
                newest[sf_id].values.get(self.natural_key): sf_id
                for sf_id in missing
                if sf_id not in found and newest[sf_id].values.get(self.natural_key)
            }
            if wanted:
                for row in manager.filter(
                    salesforce_id__isnull=True, **{f"{self.natural_key}__in": list(wanted)}
                ):
                    found[wanted[getattr(row, self.natural_key)]] = row
        return found

    def _write(
        self,
        to_create: list[tuple[str, models.Model]],
        to_update: dict[str, models.Model],
        changed_fields: set[str],
        now: datetime,
    ) -> None:
        created = [row for _, row in to_create]
        if created:
            copy_new_rows(
                created,
                history_type="+" if self.history else None,
                reason=self.ctx.reason,
                actor=self.ctx.actor,
            )
        if to_update:
            rows = list(to_update.values())
            fields = sorted(changed_fields)
            if self.touch_updated_at:
                for row in rows:
                    row.updated_at = now
                fields.append("updated_at")
            if self.history:
                bulk_update_with_history(
                    rows,
                    self.model,
                    fields,
                    default_user=self.ctx.actor,
                    default_change_reason=self.ctx.reason,
                )
            else:
                update_rows(rows, fields)
