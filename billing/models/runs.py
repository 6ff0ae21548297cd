from django.conf import settings
from django.db import models

from core.transitions import StatusMachine
from ordermgmt.models import Account, Contract


class BillingRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


BILLING_RUN_TRANSITIONS = {
    BillingRunStatus.QUEUED: {BillingRunStatus.RUNNING, BillingRunStatus.FAILED},
    BillingRunStatus.RUNNING: {
        BillingRunStatus.RUNNING,  # a retry after a worker died mid-run
        BillingRunStatus.COMPLETED,
        BillingRunStatus.FAILED,
    },
    # Run again: a task delivered a second time or retried; lines already billed are not
    # billed twice, and open exceptions are listed afresh.
    BillingRunStatus.COMPLETED: {BillingRunStatus.RUNNING},
    BillingRunStatus.FAILED: {BillingRunStatus.RUNNING},
}


class BillingRun(StatusMachine, models.Model):
    """One billing run (or dry-run preview) for a run date: progress and summary."""

    run_date = models.DateField()
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=BillingRunStatus.choices, default=BillingRunStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    groups_total = models.PositiveIntegerField(default=0)
    groups_done = models.PositiveIntegerField(default=0)
    invoices_created = models.PositiveIntegerField(default=0)
    lines_billed = models.PositiveIntegerField(default=0)
    # Dry run: the invoices it would make; a real run: what it made, per currency.
    preview = models.JSONField(default=list, blank=True)
    changes_since_last_preview = models.JSONField(default=dict, blank=True)
    totals = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # The lease: the attempt (one task execution) that owns the run renews heartbeat_at
    # every chunk. A running run whose heartbeat is older than the lease lost its worker
    # (killed, machine gone) and may be resumed; see billing/services/run_lease.py.
    attempt = models.UUIDField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    transitions = BILLING_RUN_TRANSITIONS
    status_noun = "A billing run"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        kind = "Preview" if self.dry_run else "Billing run"
        return f"{kind} for {self.run_date} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if not self.groups_total:
            return 100 if self.status == BillingRunStatus.COMPLETED else 0
        return int(100 * self.groups_done / self.groups_total)


class ExceptionReason(models.TextChoices):
    NO_BILLING_CONTACT = "no_billing_contact", "No billing contact"
    NO_TAX_RATE = "no_tax_rate", "No tax rate for the buyer's jurisdiction"
    BILLING_HOLD = "billing_hold", "Contract on billing hold"
    CONTRACT_NOT_ACTIVE = "contract_not_active", "Contract not active"
    NO_LEGAL_ENTITY = "no_legal_entity", "No default legal entity"


class BillingRunException(models.Model):
    """A group the run skipped, and why: the specialist's work list."""

    billing_run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="exceptions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE)
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=32, choices=ExceptionReason.choices)
    message = models.TextField()
    lines_skipped = models.PositiveIntegerField()
    resolved = models.BooleanField(default=False)
    # Who marked it resolved, when and how (set only by resolve_run_exception).
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["billing_run", "reason", "account"]

    def __str__(self) -> str:
        return f"{self.contract.reference}: {self.get_reason_display()}"
