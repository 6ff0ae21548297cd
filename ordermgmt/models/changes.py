"""Change orders on active contracts: what changed, from when, and how it is prorated.

A change never edits the terms a period was billed on: the line it changes ends the day
before the change takes effect (ContractLine.service_end) and a new line carries the new
terms from that day (ContractLine.service_start, `replaces`). Billing (billing.schedules)
turns the two into a credit for the unused time of the old terms and a debit for the
remaining time of the new terms; revenue (billing.revenue) classifies the modification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import quantity_field, unit_price_field

from .catalog import Product
from .contracts import Contract, ContractLine


class ChangeKind(models.TextChoices):
    QUANTITY = "quantity", "Change quantity"
    PRICE = "price", "Change unit price or discount"
    REMOVE = "remove", "Remove a line"
    SWAP = "swap", "Replace the product (upgrade or downgrade)"
    TERM = "term", "Extend or shorten the term"


class ProrationBehavior(models.TextChoices):
    """As Stripe's proration_behavior: bill the credit and debit at once, add them to the
    contract's next invoice, or make no proration (new terms from the next period)."""

    INVOICE_NOW = "invoice_now", "Invoice now"
    NEXT_INVOICE = "next_invoice", "On the next invoice"
    NONE = "none", "No proration"


class ContractChange(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="change_orders")
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    effective_date = models.DateField(help_text="The new terms apply from this day.")
    line = models.ForeignKey(
        ContractLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes_made",
        help_text="The line changed (empty for a term change).",
    )
    new_line = models.ForeignKey(
        ContractLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_by_change",
        help_text="The line carrying the new terms from the effective date.",
    )
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT)
    quantity = quantity_field(null=True, blank=True)
    unit_price = unit_price_field(null=True, blank=True)
    discount_percent = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    previous_end_date = models.DateField(null=True, blank=True)
    new_end_date = models.DateField(null=True, blank=True)
    proration_behavior = models.CharField(
        max_length=16, choices=ProrationBehavior.choices, default=ProrationBehavior.NEXT_INVOICE
    )
    backdated = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="Why; required for a backdated change.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "effective_date", "id"]
        permissions = [("change_order_contract", "Can make a change order on an active contract")]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()} from {self.effective_date}"

    @property
    def reference(self) -> str:
        return f"CO-{self.pk:06d}" if self.pk else "CO-new"
