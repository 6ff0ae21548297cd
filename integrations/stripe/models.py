"""What we pushed to Stripe and what Stripe told us, one row per document or event.

A push row is the progress record of one invoice (or credit note) on its way to
Stripe: each Stripe id is stored the moment it is known, so a retried, duplicated or
restarted task continues where the last one stopped instead of starting over.
"""

from __future__ import annotations

from django.db import models

from billing.models import CreditNote, Invoice, Payment
from core.transitions import StatusMachine


class PushState(models.TextChoices):
    PENDING = "pending", "Queued"
    IN_PROGRESS = "in_progress", "In progress"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    PUSHED = "pushed", "Pushed"
    SKIPPED = "skipped", "Skipped"


NEEDS_ATTENTION = [PushState.RETRYING, PushState.FAILED]

# How a push's state moves (core.transitions.StatusMachine). An attempt starts from any
# unfinished state (a killed or duplicated task finds it in progress) and ends pushed,
# skipped, retrying or failed; a person (or the stalled-push sweep) queues an unfinished
# push again. Pushed and skipped are final.
PUSH_TRANSITIONS = {
    PushState.PENDING: {PushState.IN_PROGRESS, PushState.PENDING},
    PushState.IN_PROGRESS: {
        PushState.IN_PROGRESS,
        PushState.RETRYING,
        PushState.FAILED,
        PushState.PUSHED,
        PushState.SKIPPED,
        PushState.PENDING,
    },
    PushState.RETRYING: {PushState.IN_PROGRESS, PushState.PENDING},
    PushState.FAILED: {PushState.IN_PROGRESS, PushState.PENDING},
    PushState.PUSHED: set(),
    PushState.SKIPPED: set(),
}


class InvoicePushStep(models.TextChoices):
    """How far a push got; each step is stored once its Stripe call succeeded."""

    NONE = "", "Not started"
    CUSTOMER = "customer", "Customer ready"
    INVOICE = "invoice", "Draft invoice created"
    ITEMS = "items", "Items added"
    FINALIZED = "finalized", "Finalized"


class PushRecord(StatusMachine, models.Model):
    state = models.CharField(max_length=12, choices=PushState.choices, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why it was skipped, etc.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    transitions = PUSH_TRANSITIONS
    status_field = "state"
    status_noun = "A Stripe push"

    class Meta:
        abstract = True

    @classmethod
    def status_label(cls, value: str) -> str:
        return PushState(value).label.lower() if value in PushState.values else value

    @property
    def needs_attention(self) -> bool:
        return self.state in NEEDS_ATTENTION


class StripeInvoicePush(PushRecord):
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="stripe_push")
    step = models.CharField(max_length=12, choices=InvoicePushStep.choices, default="", blank=True)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_invoice_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_number = models.CharField(max_length=64, blank=True)
    stripe_status = models.CharField(max_length=16, blank=True)
    # Event time (Stripe's `created`) of the event that set stripe_status, so an older
    # event that arrives late does not move the status back.
    stripe_status_at = models.DateTimeField(null=True, blank=True)
    stripe_total = models.BigIntegerField(null=True, blank=True, help_text="Stripe minor units")
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["state", "updated_at"])]
        permissions = [("retry_stripe_push", "Can retry a failed Stripe push")]
        verbose_name = "Stripe invoice push"
        verbose_name_plural = "Stripe invoice pushes"

    def __str__(self) -> str:
        return f"Stripe push of {self.invoice}"


class CreditNotePushKind(models.TextChoices):
    CREDIT_NOTE = "credit_note", "Credit note"
    VOID_INVOICE = "void_invoice", "Void the Stripe invoice"


class StripeCreditNotePush(PushRecord):
    """A credit note sent to Stripe; a credit note that voids our invoice voids the
    Stripe invoice instead (Stripe has void for that, and a voided invoice needs no
    credit)."""

    credit_note = models.OneToOneField(
        CreditNote, on_delete=models.PROTECT, related_name="stripe_push"
    )
    kind = models.CharField(max_length=16, choices=CreditNotePushKind.choices)
    stripe_credit_note_id = models.CharField(max_length=64, blank=True)
    stripe_invoice_id = models.CharField(max_length=64, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["state", "updated_at"])]
        verbose_name = "Stripe credit note push"
        verbose_name_plural = "Stripe credit note pushes"

    def __str__(self) -> str:
        return f"Stripe push of {self.credit_note}"


class WebhookOutcome(models.TextChoices):
    RECEIVED = "received", "Received, not processed yet"
    PAYMENT_RECORDED = "payment_recorded", "Payment recorded and applied"
    PAYMENT_UNAPPLIED = "payment_unapplied", "Payment recorded, left unapplied"
    ALREADY_RECORDED = "already_recorded", "Payment already recorded"
    PAID_OUT_OF_BAND = "paid_out_of_band", "Paid outside Stripe: record the cash by hand"
    STATUS_NOTED = "status_noted", "Stripe status noted"
    VOIDED_IN_STRIPE = "voided_in_stripe", "Voided in Stripe but not here: review"
    REFUNDED_IN_STRIPE = (
        "refunded_in_stripe",
        "Refunded in Stripe: reverse the application and record the refund here",
    )
    DISPUTED_IN_STRIPE = (
        "disputed_in_stripe",
        "Disputed in Stripe: answer the dispute in Stripe and follow it up here",
    )
    DISPUTE_FUNDS_WITHDRAWN = (
        "dispute_withdrawn",
        "Dispute: the bank took the funds; the invoice is open again by that amount",
    )
    DISPUTE_WON = "dispute_won", "Dispute won: funds back, applied to the invoice"
    DISPUTE_LOST = "dispute_lost", "Dispute lost: the invoice is open again; collect or write off"
    UNKNOWN_INVOICE = "unknown_invoice", "Not a Ledgerline invoice: ignored"
    MISMATCH = "mismatch", "Does not match our invoice: ignored"
    IGNORED_TYPE = "ignored_type", "Event type not used: ignored"
    ERROR = "error", "Processing failed; Stripe will redeliver"


WEBHOOK_ATTENTION = [
    WebhookOutcome.PAYMENT_UNAPPLIED,
    WebhookOutcome.PAID_OUT_OF_BAND,
    WebhookOutcome.VOIDED_IN_STRIPE,
    WebhookOutcome.REFUNDED_IN_STRIPE,
    WebhookOutcome.DISPUTED_IN_STRIPE,
    WebhookOutcome.DISPUTE_FUNDS_WITHDRAWN,
    WebhookOutcome.DISPUTE_LOST,
    WebhookOutcome.MISMATCH,
    WebhookOutcome.ERROR,
]


class StripeWebhookEvent(models.Model):
    """One Stripe event, however often it is delivered. The payload itself is not kept
    (it carries customer names and addresses); the fields below are what we acted on."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64)
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(help_text="When Stripe created the event")
    stripe_object_id = models.CharField(max_length=64, blank=True, db_index=True)
    invoice = models.ForeignKey(
        Invoice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stripe_events",
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="stripe_events"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=1)
    outcome = models.CharField(
        max_length=20, choices=WebhookOutcome.choices, default=WebhookOutcome.RECEIVED
    )
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["outcome", "received_at"])]
        verbose_name = "Stripe webhook event"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
