from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from billing.models import Invoice
from core.errors import DomainValidationError
from core.fields import CurrencyField, money_field
from core.money import format_money
from core.transitions import StatusMachine
from ordermgmt.models import Account


class ExportLog(models.Model):
    """Who exported what, when: finance exports carry customer data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    report = models.CharField(max_length=64)
    file_format = models.CharField(max_length=8)
    parameters = models.JSONField(default=dict)
    row_count = models.PositiveIntegerField(default=0)
    exported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-exported_at"]
        # Declared here (not only created by a data migration) so that they survive the
        # flush of a transactional test and sync_roles can grant them again.
        permissions = [
            ("export_finance_reports", "Can export finance reports (CSV/XLSX)"),
            ("view_finance_reports", "Can view finance reports (DSO)"),
            ("import_open_ar", "Can import open AR (opening balances)"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.report}.{self.file_format} by {self.user} at {self.exported_at:%Y-%m-%d %H:%M}"
        )


class ExportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


EXPORT_JOB_TRANSITIONS = {
    ExportJobStatus.QUEUED: {ExportJobStatus.RUNNING, ExportJobStatus.FAILED},
    # running -> running: a new attempt takes over a run whose worker died (no heartbeat).
    ExportJobStatus.RUNNING: {
        ExportJobStatus.RUNNING,
        ExportJobStatus.DONE,
        ExportJobStatus.FAILED,
    },
    ExportJobStatus.DONE: set(),
    ExportJobStatus.FAILED: set(),
}


def export_file_path(instance: "ExportJob", filename: str) -> str:
    """One fixed place per job, so that a retried build replaces its file, never adds one."""
    return f"exports/{instance.pk}/{filename}"


class ExportJob(StatusMachine, models.Model):
    """A finance export built in the background (a Celery task): its progress, its file
    (for the requesting user, or an Admin) and, once done, its ExportLog entry."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs"
    )
    report = models.CharField(max_length=64)
    file_format = models.CharField(max_length=8)
    parameters = models.JSONField(default=dict)
    status = models.CharField(
        max_length=12, choices=ExportJobStatus.choices, default=ExportJobStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(null=True, blank=True)  # None: not counted yet
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_file_path, max_length=255, blank=True)
    file_name = models.CharField(max_length=200, blank=True)  # the name it downloads as
    error = models.TextField(blank=True)
    # The build attempt that holds the job; a duplicate delivery of the task sees it and
    # stays out, and only the holder may store the file and write the log entry.
    attempt = models.UUIDField(null=True, blank=True)
    export_log = models.OneToOneField(
        ExportLog, null=True, blank=True, on_delete=models.PROTECT, related_name="job"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    transitions = EXPORT_JOB_TRANSITIONS
    status_noun = "An export job"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_recent")]

    def __str__(self) -> str:
        return f"Export #{self.pk} {self.report}.{self.file_format} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ExportJobStatus.DONE, ExportJobStatus.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.status == ExportJobStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_done / self.rows_total))


# --- Dunning -----------------------------------------------------------------------------
#
# How steps apply (see collections_app/dunning/schedule.py for the rules in code):
# per invoice, with a per-account minimum contact delay. Each open invoice walks its
# account's policy; a step's date is the invoice's due date plus the step's offset.
# An account gets at most one reminder e-mail per `min_contact_days`, whichever invoice
# it is about; invoices take their turn oldest due date first (then the larger balance),
# like Upflow's carrying invoice.


class DunningPolicy(models.Model):
    """A reminder schedule: ordered steps, each a day offset from the due date."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    min_contact_days = models.PositiveSmallIntegerField(
        "minimum contact delay (days)",
        default=3,
        help_text="At least this many days between two reminder e-mails to the same "
        "account, whichever invoice they are about. A step that falls sooner waits.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Used for every account without a policy of its own."
    )
    active = models.BooleanField(
        default=True, help_text="An inactive policy sends nothing, also where it is assigned."
    )
    per_customer = models.BooleanField(
        "one reminder per customer",
        default=False,
        help_text="One reminder lists all the customer's overdue invoices; the steps follow "
        "its oldest unpaid (carrying) invoice.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name_plural = "dunning policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_dunning_policy",
            ),
            models.CheckConstraint(
                condition=models.Q(is_default=False) | models.Q(active=True),
                name="default_dunning_policy_active",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.is_default and not self.active:
            raise ValidationError({"active": "The default policy must be active."})
        others = DunningPolicy.objects.filter(is_default=True).exclude(pk=self.pk)
        if self.is_default and others.exists():
            raise ValidationError(
                {"is_default": f"{others.first()} is the default policy; untick it there first."}
            )


class DunningAction(models.TextChoices):
    EMAIL = "email", "E-mail reminder"
    CALL = "call", "Flag the account for a call"


class DunningStep(models.Model):
    policy = models.ForeignKey(DunningPolicy, on_delete=models.CASCADE, related_name="steps")
    offset_days = models.SmallIntegerField(
        help_text="Days from the invoice's due date: -7 is a week before it, 0 the due "
        "date, 3 three days after."
    )
    action = models.CharField(max_length=8, choices=DunningAction.choices, default="email")
    name = models.CharField(max_length=80, blank=True, help_text="For the console, e.g. 'Final'")
    subject_template = models.CharField(max_length=200, blank=True)
    body_template = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "offset_days"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "offset_days"], name="one_dunning_step_per_offset"
            ),
            models.CheckConstraint(
                condition=models.Q(offset_days__gte=-90, offset_days__lte=365),
                name="dunning_offset_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(action="call")
                | (~models.Q(subject_template="") & ~models.Q(body_template="")),
                name="dunning_email_step_has_text",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.label}"

    @property
    def label(self) -> str:
        """'Upcoming (-7d)', 'Due date (0d)', 'Final reminder (+30d)', 'Call (+35d)'."""
        default = "Call" if self.action == DunningAction.CALL else "Reminder"
        offset = f"{self.offset_days:+d}" if self.offset_days else "0"
        return f"{self.name or default} ({offset}d)"

    def clean(self) -> None:
        from collections_app.dunning.emails import check_template

        if self.action == DunningAction.EMAIL:
            errors = {}
            for field in ("subject_template", "body_template"):
                if not (getattr(self, field) or "").strip():
                    errors[field] = "An e-mail step needs a subject and a body."
                    continue
                try:
                    check_template(getattr(self, field), field=field)
                except DomainValidationError as err:
                    errors[field] = err.message
            if errors:
                raise ValidationError(errors)


class AccountDunning(models.Model):
    """Per-account dunning: another policy, exclusion, or a pause. No row means the
    default policy, not paused."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="dunning", primary_key=True
    )
    policy = models.ForeignKey(
        DunningPolicy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
        help_text="Empty: the default policy.",
    )
    excluded = models.BooleanField(
        default=False,
        help_text="Never send this account automatic reminders (e.g. collected by hand, "
        "or a strategic customer).",
    )
    paused = models.BooleanField(default=False)
    monthly_statement = models.BooleanField(
        default=False, help_text="E-mail a statement of account after each month's end."
    )
    pause_reason = models.CharField(max_length=200, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "account dunning setting"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(paused=False) | ~models.Q(pause_reason=""),
                name="dunning_pause_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Dunning of {self.account}"


class DunningReminder(models.Model):
    """One step done for one invoice: the e-mail sent, or the call flagged. The unique
    (invoice, step) is the claim that keeps a re-run or duplicated task from sending a
    second reminder for the same step."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="dunning_reminders")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="dunning_reminders")
    step = models.ForeignKey(DunningStep, on_delete=models.PROTECT, related_name="reminders")
    action = models.CharField(max_length=8, choices=DunningAction.choices)
    # Copied when sent: the step may be edited later, the record must not move.
    offset_days = models.SmallIntegerField()
    step_date = models.DateField(help_text="Due date plus the step's offset")
    run_date = models.DateField(help_text="The 'as of' date of the run that sent it")
    sent_at = models.DateTimeField()
    recipients = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    message_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["account", "action", "run_date"])]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="one_reminder_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} for {self.invoice} ({self.offset_days:+d})"


# --- Collection activities ----------------------------------------------------------------


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    PROMISE = "promise", "Promise to pay"
    DISPUTE = "dispute", "Dispute"
    CALL = "call", "Call to make"


class ActivityStatus(models.TextChoices):
    NONE = "", "—"  # notes have no status
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"  # disputes
    CANCELLED = "cancelled", "Cancelled"  # promises withdrawn or recorded by mistake
    DONE = "done", "Done"  # calls


ACTIVITY_STATUSES = {
    ActivityKind.NOTE: {ActivityStatus.NONE},
    ActivityKind.PROMISE: {ActivityStatus.OPEN, ActivityStatus.CANCELLED},
    ActivityKind.DISPUTE: {ActivityStatus.OPEN, ActivityStatus.RESOLVED},
    ActivityKind.CALL: {ActivityStatus.OPEN, ActivityStatus.DONE},
}

ACTIVITY_TRANSITIONS = {
    (ActivityKind.PROMISE, ActivityStatus.OPEN): {ActivityStatus.CANCELLED},
    (ActivityKind.DISPUTE, ActivityStatus.OPEN): {ActivityStatus.RESOLVED},
    (ActivityKind.CALL, ActivityStatus.OPEN): {ActivityStatus.DONE},
}


class DisputeReason(models.TextChoices):
    PRICING = "pricing", "Price or discount"
    QUANTITY = "quantity", "Quantity or seats"
    SERVICE = "service", "Service not delivered or not as agreed"
    DUPLICATE = "duplicate", "Billed twice"
    PO = "po", "Missing or wrong PO number"
    TAX = "tax", "Tax"
    OTHER = "other", "Other"


class DisputeResolution(models.TextChoices):
    CREDITED = "credited", "Credit note issued"
    REISSUED = "reissued", "Invoice voided and re-issued"
    UPHELD = "upheld", "Invoice stands: customer to pay"
    WITHDRAWN = "withdrawn", "Withdrawn by the customer"


class CallOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    PROMISE = "promise", "Reached: promised to pay"
    DISPUTE = "dispute", "Reached: disputes the invoice"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class CollectionActivity(StatusMachine, models.Model):
    """A note, a promise to pay, a dispute, or a call to make, on an account (and for
    promises and disputes, on one invoice). Created and changed only through
    collections_app.services, which record who and why in the history."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="collection_activities"
    )
    invoice = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collection_activities",
    )
    kind = models.CharField(max_length=8, choices=ActivityKind.choices)
    status = models.CharField(max_length=10, choices=ActivityStatus.choices, blank=True)
    body = models.TextField("note", blank=True)
    amount = money_field(null=True, blank=True, help_text="Promised or disputed amount")
    currency = CurrencyField(blank=True)
    promised_date = models.DateField(null=True, blank=True)
    dispute_reason = models.CharField(max_length=12, choices=DisputeReason.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_collection_activities",
        help_text="Who works the dispute or makes the call.",
    )
    resolution = models.CharField(max_length=12, choices=DisputeResolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    call_outcome = models.CharField(max_length=12, choices=CallOutcome.choices, blank=True)
    contact = models.ForeignKey(
        "ordermgmt.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who was called.",
    )  # fmt: skip
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder = models.OneToOneField(
        DunningReminder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_task",
        help_text="The dunning step that asked for this call.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    transitions = ACTIVITY_TRANSITIONS

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "collection activities"
        indexes = [
            models.Index(fields=["account", "kind", "status"]),
            models.Index(fields=["invoice", "kind", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="note") & models.Q(status=""))
                | (models.Q(kind="promise") & models.Q(status__in=["open", "cancelled"]))
                | (models.Q(kind="dispute") & models.Q(status__in=["open", "resolved"]))
                | (models.Q(kind="call") & models.Q(status__in=["open", "done"])),
                name="activity_status_fits_kind",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="note") | ~models.Q(body=""),
                name="note_has_text",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind__in=["promise", "dispute"])
                | (
                    models.Q(invoice__isnull=False)
                    & models.Q(amount__gt=0)
                    & ~models.Q(currency="")
                ),
                name="promise_dispute_on_invoice_with_amount",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="promise") | models.Q(promised_date__isnull=False),
                name="promise_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dispute") | ~models.Q(dispute_reason=""),
                name="dispute_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dispute", status="resolved") | ~models.Q(resolution=""),
                name="resolved_dispute_has_resolution",
            ),
            # An invoice is disputed or not: one open dispute at a time.
            models.UniqueConstraint(
                fields=["invoice"],
                condition=models.Q(kind="dispute", status="open"),
                name="one_open_dispute_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.invoice or self.account}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency) if self.amount is not None else ""

    def transition_key(self) -> tuple[str, str]:
        return (self.kind, self.status)

    def transition_subject(self) -> str:
        return f"A {self.get_kind_display().lower()}"


from collections_app.statements.models import StatementDelivery  # noqa: E402, F401
