"""What one run carries while it writes: counts, log lines, rows already written, and the
issues found on a page (opened, seen again, or resolved by the sync), flushed in bulk."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from ..models import IssueKind, IssueStatus, LogLevel, SyncIssue, SyncLogLine, SyncRun
from .bulk import any_of
from .mapping import LOCAL_FIELD_LABELS

MISSING = object()
COUNT_KEYS = (
    "fetched",
    "created",
    "updated",
    "unchanged",
    "skipped",
    "ignored",
    "errors",
    "conflicts",
    "flagged",
)


@dataclass
class Incoming:
    """One Salesforce record, mapped to our fields (references already resolved)."""

    sf_object: str
    sf_id: str
    modstamp: datetime | None
    values: dict[str, Any]


@dataclass
class IssueDraft:
    kind: str
    sf_object: str
    sf_id: str
    field: str = ""
    code: str = ""
    message: str = ""
    local_value: Any = None
    salesforce_value: Any = None
    local_model: str = ""
    local_id: int | None = None
    account_id: int | None = None
    opportunity_id: int | None = None
    contract_id: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.sf_id, self.field)


class SyncContext:
    """What one run carries around: the run, the acting user, counts and log lines."""

    def __init__(self, run: SyncRun, actor: Any) -> None:
        self.run = run
        self.actor = actor
        self.reason = f"salesforce.sync: run #{run.pk}"
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.pending_log: list[SyncLogLine] = []
        # Records already written in this run, by (object, id): (SystemModstamp, row). An
        # account on many pages is loaded and compared once, not once per page.
        self.seen: dict[tuple[str, str], tuple[datetime, models.Model]] = {}
        self.staged: dict[tuple[str, str], tuple[datetime, models.Model]] = {}
        # Salesforce records read in this run, so that "read" counts each record once:
        # an account arrives inside every one of its deals, a deal whose line items
        # changed is read twice (its line items, then the deal with them).
        self.read_ids: set[tuple[str, str]] = set()

    def read(self, sf_object: str, sf_ids: Iterable[str], *, queried: bool = False) -> None:
        """Count records of ``sf_object`` read from Salesforce: "read" counts each record
        once per run, wherever it came from; "fetched" (``queried``) counts the rows the
        queries returned, related records inside a deal not included."""
        ids = list(sf_ids)
        if queried:
            self.count(sf_object, "fetched", len(ids))
        new = 0
        for sf_id in ids:
            key = (sf_object, sf_id)
            if key not in self.read_ids:
                self.read_ids.add(key)
                new += 1
        self.count(sf_object, "read", new)

    def count(self, sf_object: str, key: str, n: int = 1) -> None:
        if n:
            self.counts[sf_object][key] += n

    def total(self, key: str) -> int:
        return sum(counter[key] for counter in self.counts.values())

    def log(
        self,
        message: str,
        *,
        level: str = LogLevel.INFO,
        sf_object: str = "",
        sf_id: str = "",
        code: str = "",
    ) -> None:
        self.pending_log.append(
            SyncLogLine(
                run=self.run,
                level=level,
                sf_object=sf_object,
                sf_id=sf_id,
                code=code,
                message=message,
            )
        )

    def checkpoint(self) -> tuple[dict[str, Counter], int]:
        return ({k: Counter(v) for k, v in self.counts.items()}, len(self.pending_log))

    def restore(self, checkpoint: tuple[dict[str, Counter], int]) -> None:
        """Forget counts, log lines and remembered rows of work that was rolled back."""
        counts, log_length = checkpoint
        self.counts = defaultdict(Counter, {k: Counter(v) for k, v in counts.items()})
        del self.pending_log[log_length:]
        self.staged = {}

    def committed(self) -> None:
        """The page's transaction committed: its rows can be reused by later pages."""
        self.seen.update(self.staged)
        self.staged = {}

    def flush_log(self) -> None:
        if self.pending_log:
            SyncLogLine.objects.bulk_create(self.pending_log)
            self.pending_log = []


class IssueBook:
    """Issues found while writing one page: opened (or seen again) and auto-resolved."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.opened: dict[tuple[str, str, str], IssueDraft] = {}
        self.resolving: dict[tuple[str, str, str], str] = {}
        self.sf_ids: set[str] = set()

    def open(self, draft: IssueDraft) -> None:
        self.opened[draft.key] = draft
        self.resolving.pop(draft.key, None)
        self.sf_ids.add(draft.sf_id)
        counter = {IssueKind.CONFLICT: "conflicts", IssueKind.BAD_RECORD: "errors"}.get(
            draft.kind, "flagged"
        )
        self.ctx.count(draft.sf_object, counter)

    def resolve(self, kind: str, sf_id: str, field_name: str, resolution: str) -> None:
        """Close the open issue with this key, if there is one."""
        key = (kind, sf_id, field_name)
        if key not in self.opened:
            self.resolving[key] = resolution
            self.sf_ids.add(sf_id)

    def watch(self, sf_ids: Iterable[str]) -> None:
        self.sf_ids.update(sf_ids)

    def flush(self) -> None:
        if not self.opened and not self.resolving:
            return
        existing = {
            (issue.kind, issue.sf_id, issue.field): issue
            for issue in SyncIssue.objects.select_for_update().filter(
                any_of("sf_id", self.sf_ids), status=IssueStatus.OPEN
            )
        }
        now = timezone.now()
        run = self.ctx.run
        to_create: list[SyncIssue] = []
        to_update: list[SyncIssue] = []
        for key, draft in self.opened.items():
            values = {
                "sf_object": draft.sf_object,
                "local_model": draft.local_model,
                "local_id": draft.local_id,
                "field_label": _label(draft.sf_object, draft.field),
                "code": draft.code,
                "message": draft.message,
                "local_value": draft.local_value,
                "salesforce_value": draft.salesforce_value,
                "account_id": draft.account_id,
                "opportunity_id": draft.opportunity_id,
                "contract_id": draft.contract_id,
                "last_run": run,
            }
            issue = existing.get(key)
            if issue is None:
                to_create.append(
                    SyncIssue(
                        kind=draft.kind,
                        sf_id=draft.sf_id,
                        field=draft.field,
                        first_run=run,
                        **values,
                    )
                )
            else:
                for name, value in values.items():
                    setattr(issue, name, value)
                issue.occurrences += 1
                issue.last_seen_at = now
                to_update.append(issue)
        resolved: list[SyncIssue] = []
        for key, resolution in self.resolving.items():
            issue = existing.get(key)
            if issue is None:
                continue
            issue.transition_to(IssueStatus.RESOLVED)
            issue.resolution = resolution
            issue.resolved_at = now
            issue.last_run = run
            resolved.append(issue)
            self.ctx.log(
                f"Issue #{issue.pk} ({issue.kind}) resolved by the sync: {resolution}.",
                sf_object=issue.sf_object,
                sf_id=issue.sf_id,
                code="issue_resolved",
            )
        SyncIssue.objects.bulk_create(to_create)
        if to_update:
            SyncIssue.objects.bulk_update(
                to_update,
                [
                    "sf_object",
                    "local_model",
                    "local_id",
                    "field_label",
                    "code",
                    "message",
                    "local_value",
                    "salesforce_value",
                    "account_id",
                    "opportunity_id",
                    "contract_id",
                    "last_run",
                    "occurrences",
                    "last_seen_at",
                ],
            )
        if resolved:
            SyncIssue.objects.bulk_update(
                resolved, ["status", "resolution", "resolved_at", "last_run"]
            )
        self.opened, self.resolving, self.sf_ids = {}, {}, set()


def _label(sf_object: str, field_name: str) -> str:
    if not field_name:
        return ""
    return LOCAL_FIELD_LABELS.get((sf_object, field_name), field_name)


# (singular, plural) for a Salesforce object: as read there, as written here.
_READ_NOUNS = {
    "Opportunity": ("opportunity", "opportunities"),
    "OpportunityLineItem": ("line item", "line items"),
    "Account": ("account", "accounts"),
    "Contact": ("contact", "contacts"),
    "Product2": ("product", "products"),
}
_WRITTEN_NOUNS = {
    "Opportunity": ("opportunity", "opportunities"),
    "OpportunityLineItem": ("opportunity line", "opportunity lines"),
    "Account": ("account", "accounts"),
    "Contact": ("contact", "contacts"),
    "Product2": ("product", "products"),
    "Contract": ("draft contract", "draft contracts"),
}
_UPDATED_CONTRACT = ("contract", "contracts")


def _counted(n: int, nouns: tuple[str, str]) -> str:
    return f"{n:,} {nouns[0] if n == 1 else nouns[1]}"


def summarize_counts(counts: dict[str, dict[str, int]]) -> str:
    """What a run did, each number with the records it counts: "Read from Salesforce: 42
    opportunities, 126 line items, 12 accounts. Created here: 42 opportunities, 126
    opportunity lines, 12 accounts, 42 draft contracts." (counts by object)."""

    def phrase(key: str, nouns: dict[str, tuple[str, str]]) -> str:
        parts = []
        for sf_object, words in nouns.items():
            n = (counts.get(sf_object) or {}).get(key, 0)
            if n:
                if sf_object == "Contract" and key == "updated":
                    words = _UPDATED_CONTRACT
                parts.append(_counted(n, words))
        return ", ".join(parts)

    sentences = []
    for title, key, nouns in (
        ("Read from Salesforce", "read", _READ_NOUNS),
        ("Created here", "created", _WRITTEN_NOUNS),
        ("Updated here", "updated", _WRITTEN_NOUNS),
    ):
        listed = phrase(key, nouns)
        if listed:
            sentences.append(f"{title}: {listed}.")
    return " ".join(sentences) or "Nothing read or written yet."
