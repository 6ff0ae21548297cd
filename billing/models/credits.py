"""Credit on account: what a credit note could not take off its own invoice (already
paid) stays with the customer, to be applied to other invoices or refunded, exactly
like unapplied cash. Applications are never deleted: a reversal is a second, negative
row dated when it was reversed, so an "as of" report counts each row by its own date."""

from django.conf import settings
from django.db import models

from ordermgmt.models.fields import money_field

from .invoices import CreditNote, Invoice


class CreditApplication(models.Model):
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, related_name="applications"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_applications"
    )
    amount = money_field()
    applied_date = models.DateField()
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["applied_date", "id"]
        indexes = [models.Index(fields=["invoice", "applied_date"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(reverses__isnull=True) & models.Q(amount__gt=0))
                | (models.Q(reverses__isnull=False) & models.Q(amount__lt=0)),
                name="credit_application_sign_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.credit_note} to {self.invoice}"


class CreditRefund(models.Model):
    """Credit on account paid back to the customer."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field()
    refund_date = models.DateField()
    reference = models.CharField(max_length=100)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_refund_positive")
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} of {self.credit_note}"
