from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField, money_field
from ordermgmt.models import Account

from .invoices import Invoice


class PaymentMethod(models.TextChoices):
    WIRE = "wire", "Wire transfer"
    ACH = "ach", "ACH"
    CHECK = "check", "Check"
    CARD = "card", "Card"
    STRIPE = "stripe", "Stripe"
    OPENING_BALANCE = "opening", "Opening balance (imported AR)"


class Payment(models.Model):
    """Cash received from a customer. What is not applied stays on account."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    currency = CurrencyField()
    amount = money_field()
    received_date = models.DateField()
    method = models.CharField(max_length=8, choices=PaymentMethod.choices)
    reference = models.CharField(max_length=100, help_text="Bank reference, check number...")
    external_id = models.CharField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text="Processor id (Stripe); recording it twice records one payment.",
    )
    applied_amount = money_field(default=Decimal("0"))
    refunded_amount = money_field(default=Decimal("0"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_date", "-id"]
        indexes = [
            # The list's default order and its usual filters, newest first (issue 20).
            models.Index(fields=["-received_date", "-id"], name="payment_list_order"),
            models.Index(fields=["account", "-received_date"], name="payment_account_date"),
            models.Index(fields=["currency", "-received_date"], name="payment_currency_date"),
            # The list's other sorts (billing.filters.PaymentFilter), as for invoices.
            models.Index(fields=["reference"], name="payment_reference_order"),
            models.Index(fields=["method", "id"], name="payment_method_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            models.CheckConstraint(
                condition=models.Q(applied_amount__gte=0)
                & models.Q(refunded_amount__gte=0)
                & models.Q(amount__gte=models.F("applied_amount") + models.F("refunded_amount")),
                name="payment_never_over_applied",
            ),
        ]
        permissions = [
            ("apply_payment", "Can apply and reverse payment applications"),
            ("refund_payment", "Can refund unapplied cash"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Method and reference, the method said once ("Stripe in_1Abc", not "Stripe Stripe
        in_1Abc" for a reference that already names it)."""
        method = self.get_method_display()
        if self.reference.lower().startswith(f"{method.lower()} "):
            return self.reference
        return f"{method} {self.reference}"

    @property
    def unapplied_amount(self) -> Decimal:
        return self.amount - self.applied_amount - self.refunded_amount


class Application(models.Model):
    """Part of a payment's cash, or of a credit note's credit on account, applied to an
    invoice on a date. A reversal is a second row with the negative amount, dated when
    it was reversed: nothing is ever deleted, and an "as of" report counts each row by
    its own date. (The sign rule is each table's own constraint.)"""

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
        abstract = True


class RefundRecord(models.Model):
    """Unapplied cash, or credit on account, paid back to the customer."""

    amount = money_field()
    refund_date = models.DateField()
    reference = models.CharField(max_length=100)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class PaymentApplication(Application):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="applications")

    class Meta:
        ordering = ["applied_date", "id"]
        indexes = [models.Index(fields=["invoice", "applied_date"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(reverses__isnull=True) & models.Q(amount__gt=0))
                | (models.Q(reverses__isnull=False) & models.Q(amount__lt=0)),
                name="application_sign_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} of {self.payment} to {self.invoice}"


class Refund(RefundRecord):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_positive")
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} of {self.payment}"
