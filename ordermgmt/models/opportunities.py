from django.db import models

from core.fields import CurrencyField, money_field, quantity_field, unit_price_field

from .accounts import Account
from .catalog import Product


class Opportunity(models.Model):
    """A deal as booked in the CRM; the contract is made from it."""

    CLOSED_WON = "Closed Won"

    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="opportunities")
    name = models.CharField(max_length=200)
    stage = models.CharField(max_length=60)
    close_date = models.DateField()
    amount = money_field()
    currency = CurrencyField()
    owner_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-close_date"]
        verbose_name_plural = "opportunities"

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed_won(self) -> bool:
        return self.stage == self.CLOSED_WON


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = quantity_field()
    unit_price = unit_price_field()
    total_price = money_field()

    def __str__(self) -> str:
        return f"{self.product.sku} × {self.quantity}"
