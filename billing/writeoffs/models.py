from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from billing.models import CreditNote, Invoice
from core.fields import CurrencyField, money_field
from core.transitions import StatusMachine


class WriteOffReason(models.TextChoices):
    BAD_DEBT = "bad_debt", "Bad debt (uncollectible)"
    BANKRUPTCY = "bankruptcy", "Customer insolvent"
    SMALL_BALANCE = "small_balance", "Small balance"
    SETTLEMENT = "settlement", "Settled for less"
    BANK_CHARGES = "bank_charges", "Bank charges deducted"
    OTHER = "other", "Other"


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    POSTED = "posted", "Written off"
    REJECTED = "rejected", "Rejected"


WRITE_OFF_TRANSITIONS = {
    WriteOffStatus.PENDING: {WriteOffStatus.POSTED, WriteOffStatus.REJECTED},
    WriteOffStatus.POSTED: set(),
    WriteOffStatus.REJECTED: set(),
}


class SmallBalanceBatch(models.Model):
    """One run of the small-balance write-off, and its report."""

    as_of = models.DateField()
    max_amount = money_field()
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    run_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Small balances up to {self.max_amount} as of {self.as_of}"


class WriteOff(StatusMachine, models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="write_offs")
    currency = CurrencyField()
    amount = money_field()
    reason_code = models.CharField(max_length=16, choices=WriteOffReason.choices)
    memo = models.CharField(max_length=300, blank=True)
    write_off_date = models.DateField()
    status = models.CharField(max_length=10, choices=WriteOffStatus.choices)
    document = models.OneToOneField(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="write_off"
    )
    batch = models.ForeignKey(
        SmallBalanceBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="write_offs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    transitions = WRITE_OFF_TRANSITIONS
    status_noun = "A write-off"

    class Meta:
        ordering = ["-write_off_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="write_off_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="posted") | models.Q(document__isnull=False),
                name="posted_write_off_has_document",
            ),
        ]
        permissions = [
            ("request_write_off", "Can request a write-off"),
            ("approve_write_off", "Can approve a write-off requested by someone else"),
        ]

    def __str__(self) -> str:
        return f"Write-off {self.amount} {self.currency} on {self.invoice}"


class ApprovalKind(models.TextChoices):
    REFUND = "refund", "Refund of unapplied cash"
    CREDIT_REFUND = "credit_refund", "Refund of credit on account"
    CREDIT_NOTE = "credit_note", "Credit note"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved and done"
    REJECTED = "rejected", "Rejected"


APPROVAL_TRANSITIONS = {
    ApprovalStatus.PENDING: {ApprovalStatus.APPROVED, ApprovalStatus.REJECTED},
    ApprovalStatus.APPROVED: set(),
    ApprovalStatus.REJECTED: set(),
}


class ApprovalRequest(StatusMachine, models.Model):
    """A refund or credit note above its threshold, waiting for a second person. Nothing
    in AR changes until it is approved; approving runs the same payment or credit note
    service, which links its result here in the same transaction."""

    kind = models.CharField(max_length=16, choices=ApprovalKind.choices)
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_on_account = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = CurrencyField()
    amount = money_field()
    reason = models.CharField(max_length=500)
    reference = models.CharField(max_length=140, blank=True)
    action_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices)
    refund = models.OneToOneField(
        "billing.Refund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_refund = models.OneToOneField(
        "billing.CreditRefund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_note = models.OneToOneField(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="approval"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    transitions = APPROVAL_TRANSITIONS
    status_noun = "An approval request"

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="approval_positive"),
        ]
        permissions = [
            ("request_approval", "Can ask for a refund or credit note above the threshold"),
            ("approve_request", "Can approve a refund or credit note asked by someone else"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.amount} {self.currency}"
