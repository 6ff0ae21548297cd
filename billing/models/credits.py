"""Credit on account: what a credit note could not take off its own invoice (already
paid) stays with the customer, to be applied to other invoices or refunded, exactly
like unapplied cash. Applications are never deleted: a reversal is a second, negative
row dated when it was reversed, so an "as of" report counts each row by its own date."""

from django.db import models

from .invoices import CreditNote, Invoice
from .payments import Application, RefundRecord


class CreditApplication(Application):
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, related_name="applications"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_applications"
    )

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


class CreditRefund(RefundRecord):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="refunds")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="credit_refund_positive")
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} of {self.credit_note}"
