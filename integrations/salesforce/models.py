"""Booking sync from Salesforce: runs, their log, sync issues and what was last synced.

`SyncedRecord` links a Salesforce record to the local row it became and keeps the values
Salesforce had at the last sync (mapped to our fields). Comparing those with the local
row tells "changed in Salesforce" from "changed locally", so a specialist's edit is never
overwritten: both changed and different becomes a conflict `SyncIssue`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.transitions import StatusMachine
from ordermgmt.models import Account, Contract, Opportunity


class SyncRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


ACTIVE_RUN_STATUSES = (SyncRunStatus.QUEUED, SyncRunStatus.RUNNING, SyncRunStatus.RETRYING)
FINISHED_RUN_STATUSES = (SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED, SyncRunStatus.SKIPPED)

SYNC_RUN_TRANSITIONS = {
    # Skipped: another run held the lock. Failed from queued: its worker never started it
    # before the lease ran out (an abandoned run).
    SyncRunStatus.QUEUED: {SyncRunStatus.RUNNING, SyncRunStatus.SKIPPED, SyncRunStatus.FAILED},
    SyncRunStatus.RUNNING: {
        SyncRunStatus.RUNNING,  # the task delivered again after its worker died
        SyncRunStatus.RETRYING,
        SyncRunStatus.SUCCEEDED,
        SyncRunStatus.FAILED,
    },
    SyncRunStatus.RETRYING: {SyncRunStatus.RUNNING, SyncRunStatus.SKIPPED, SyncRunStatus.FAILED},
    SyncRunStatus.SUCCEEDED: set(),
    SyncRunStatus.FAILED: set(),
    SyncRunStatus.SKIPPED: set(),
}


class SyncTrigger(models.TextChoices):
    MANUAL = "manual", "Sync now (page or API)"
    SCHEDULE = "schedule", "Schedule"
    COMMAND = "command", "Command line"


class SyncRun(StatusMachine, models.Model):
    """One sync from Salesforce: status, progress while it runs, counts and the error.

    The status moves only along SYNC_RUN_TRANSITIONS (``transition_to`` for one run,
    ``transition_rows`` for many); ``save()`` refuses any other status change."""

    status = models.CharField(
        max_length=12, choices=SyncRunStatus.choices, default=SyncRunStatus.QUEUED
    )
    trigger = models.CharField(
        max_length=12, choices=SyncTrigger.choices, default=SyncTrigger.MANUAL
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    full = models.BooleanField(default=False, help_text="Ignored the watermarks: read everything.")
    phase = models.CharField(max_length=40, blank=True)
    # Progress: Salesforce records this run will read (known after each query's first page).
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # Counts. fetched: records Salesforce returned; created/updated/unchanged: local rows;
    # skipped: records not written because they are bad; errors: bad records plus
    # contracts that could not be drafted; conflicts and flagged: issues raised.
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(default=0)
    contracts_created = models.PositiveIntegerField(default=0)
    http_requests = models.PositiveIntegerField(default=0)
    counts_by_object = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(
        default=dict, blank=True, help_text="Seconds spent on Salesforce, writing, contracts."
    )
    error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    transitions = SYNC_RUN_TRANSITIONS
    status_noun = "A sync run"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        permissions = [("run_salesforce_sync", "Can start a Salesforce sync")]

    def __str__(self) -> str:
        return f"Salesforce sync #{self.pk} ({self.status})"

    def save(self, *args, **kwargs):
        _refuse_status_change_outside_transition(self)
        super().save(*args, **kwargs)
        _remember_saved_status(self)

    @classmethod
    def from_db(cls, db, field_names, values):
        return _remember_saved_status(super().from_db(db, field_names, values))

    @classmethod
    def status_label(cls, value: str) -> str:
        return SyncRunStatus(value).label.lower()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES

    @property
    def progress_percent(self) -> int:
        if self.status == SyncRunStatus.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.processed / self.total))

    @property
    def duration_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or self.heartbeat_at or self.started_at
        return (end - self.started_at).total_seconds()


class LogLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class SyncLogLine(models.Model):
    """One line of a run's log. Ids, codes, field names and counts only: no customer data."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, choices=LogLevel.choices, default=LogLevel.INFO)
    sf_object = models.CharField(max_length=40, blank=True)
    sf_id = models.CharField(max_length=18, blank=True)
    code = models.CharField(max_length=60, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"#{self.run_id} {self.level}: {self.message[:60]}"


class IssueKind(models.TextChoices):
    CONFLICT = "conflict", "Changed here and in Salesforce"
    BAD_RECORD = "bad_record", "Bad record (not synced)"
    LOST_AFTER_BOOKING = "lost_after_booking", "Opportunity no longer Closed Won"
    DELETED = "deleted_in_salesforce", "Deleted in Salesforce"
    CONTRACT_LOCKED = "contract_locked", "Booking changed after the contract left draft"


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


# A resolved issue stays resolved: the same problem seen again opens a new issue.
SYNC_ISSUE_TRANSITIONS = {
    IssueStatus.OPEN: {IssueStatus.RESOLVED},
    IssueStatus.RESOLVED: set(),
}


class Resolution(models.TextChoices):
    TAKE_SALESFORCE = "take_salesforce", "Took the Salesforce value"
    KEEP_LOCAL = "keep_local", "Kept the local value"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    # Set by the sync itself:
    CONVERGED = "converged", "Values agree again"
    FIXED_IN_SALESFORCE = "fixed_in_salesforce", "Fixed in Salesforce, synced"
    WON_AGAIN = "won_again", "Closed Won again"


# What a specialist may choose for each kind of issue.
RESOLUTIONS_BY_KIND: dict[str, list[str]] = {
    IssueKind.CONFLICT: [Resolution.TAKE_SALESFORCE, Resolution.KEEP_LOCAL],
    IssueKind.CONTRACT_LOCKED: [Resolution.TAKE_SALESFORCE, Resolution.KEEP_LOCAL],
    IssueKind.BAD_RECORD: [Resolution.ACKNOWLEDGED],
    IssueKind.LOST_AFTER_BOOKING: [Resolution.ACKNOWLEDGED],
    IssueKind.DELETED: [Resolution.ACKNOWLEDGED],
}


class SyncIssue(StatusMachine, models.Model):
    """Something the sync could not or would not do on its own; a specialist decides.

    At most one open issue per (kind, Salesforce record, field): a later run that sees the
    same problem updates it (values, last_run, occurrences) instead of adding another.
    Open -> resolved only, through ``transition_to`` (SYNC_ISSUE_TRANSITIONS).
    """

    kind = models.CharField(max_length=24, choices=IssueKind.choices)
    status = models.CharField(max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    sf_object = models.CharField(max_length=40)
    sf_id = models.CharField(max_length=18)
    local_model = models.CharField(max_length=40, blank=True, help_text="e.g. ordermgmt.account")
    local_id = models.BigIntegerField(null=True, blank=True)
    field = models.CharField(max_length=60, blank=True)
    field_label = models.CharField(max_length=120, blank=True)
    code = models.CharField(max_length=60, blank=True)
    message = models.TextField(blank=True)
    local_value = models.JSONField(null=True, blank=True)
    salesforce_value = models.JSONField(null=True, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    occurrences = models.PositiveIntegerField(default=1)
    resolution = models.CharField(max_length=24, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    transitions = SYNC_ISSUE_TRANSITIONS
    status_noun = "A sync issue"

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["sf_id"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "sf_id", "field"],
                condition=Q(status="open"),
                name="one_open_sync_issue_per_record_field",
            )
        ]
        permissions = [("resolve_syncissue", "Can resolve Salesforce sync issues")]

    def __str__(self) -> str:
        target = f"{self.sf_object} {self.sf_id}"
        return f"{self.get_kind_display()}: {target}{f' {self.field}' if self.field else ''}"

    def save(self, *args, **kwargs):
        _refuse_status_change_outside_transition(self)
        super().save(*args, **kwargs)
        _remember_saved_status(self)

    @classmethod
    def from_db(cls, db, field_names, values):
        return _remember_saved_status(super().from_db(db, field_names, values))

    @classmethod
    def status_label(cls, value: str) -> str:
        return IssueStatus(value).label.lower()

    @property
    def is_open(self) -> bool:
        return self.status == IssueStatus.OPEN

    @property
    def allowed_resolutions(self) -> list[tuple[str, str]]:
        return [(r, Resolution(r).label) for r in RESOLUTIONS_BY_KIND.get(self.kind, [])]


def _remember_saved_status(record):
    record._saved_status = record.__dict__.get("status")
    record.transition_saved()
    return record


def _refuse_status_change_outside_transition(record) -> None:
    """A loaded run or issue changes its status only through ``transition_to``."""
    saved = record.__dict__.get("_saved_status")
    if (
        record.pk is not None
        and saved is not None
        and record.status != saved
        and not record.moved_by_transition()
    ):
        raise record.illegal_transition(record.transition_subject(), saved, record.status)


class SyncedRecord(models.Model):
    """A Salesforce record and the local row it became, with its last synced values.

    `values` holds Salesforce's values at the last sync, already mapped to our fields
    and made JSON-safe (see services/mapping.py `canonical`). For an opportunity it also
    holds the draft contract's terms and lines (keys starting with "contract.").
    """

    sf_object = models.CharField(max_length=40)
    sf_id = models.CharField(max_length=18)
    local_id = models.BigIntegerField()
    values = models.JSONField(default=dict)
    system_modstamp = models.DateTimeField(null=True, blank=True)
    closed_won = models.BooleanField(default=False, help_text="Opportunities: at the last sync.")
    deleted_in_salesforce = models.BooleanField(default=False)
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contract_pending = models.BooleanField(
        default=False,
        help_text="A new Closed Won deal whose draft contract is still to be created.",
    )
    first_synced_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(auto_now=True)
    last_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sf_object", "sf_id"], name="one_link_per_sf_record")
        ]
        indexes = [
            models.Index(fields=["sf_object", "local_id"]),
            models.Index(
                fields=["contract_pending"],
                condition=Q(contract_pending=True),
                name="sf_contract_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sf_object} {self.sf_id} → #{self.local_id}"

    def flags(self) -> tuple[bool, bool, bool, int | None]:
        return (
            self.closed_won,
            self.deleted_in_salesforce,
            self.contract_pending,
            self.contract_id,
        )


class SyncWatermark(models.Model):
    """Per Salesforce object: the newest SystemModstamp read by a successful run."""

    sf_object = models.CharField(max_length=40, unique=True)
    system_modstamp = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sf_object"]

    def __str__(self) -> str:
        return f"{self.sf_object} > {self.system_modstamp}"


class SyncLock(models.Model):
    """A single row: which run holds the sync, until when (a lease renewed by heartbeats).

    Taken and released with one conditional UPDATE each, so two workers can't both hold
    it; a worker that dies leaves a lease that expires instead of a stuck lock."""

    name = models.CharField(max_length=40, unique=True)
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: run {self.run_id or '-'}"
