from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField, unit_price_field


class RevenueType(models.TextChoices):
    SUBSCRIPTION = "subscription", "Subscription"
    ONE_TIME = "one_time", "One-time"
    USAGE = "usage", "Usage"
    PROFESSIONAL_SERVICES = "professional_services", "Professional services"


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    revenue_type = models.CharField(max_length=32, choices=RevenueType.choices)
    active = models.BooleanField(default=True)
    distinct = models.BooleanField(
        default=True,
        help_text="ASC 606: off means this product is combined with the subscription.",
    )
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} — {self.name}"


class ProductPrice(models.Model):
    """Standalone selling price and list price of a product in one currency."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = CurrencyField()
    standalone_selling_price = unit_price_field()
    list_price = unit_price_field(null=True, blank=True)
    floor_price = unit_price_field(
        null=True, blank=True, help_text="Lowest unit price deal desk accepts without review."
    )
    prices_include_tax = models.BooleanField(
        default=False,
        help_text="List and floor prices are gross (tax included); contracts priced from "
        "them must include tax too.",
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="one_price_per_currency"),
            models.CheckConstraint(
                condition=models.Q(standalone_selling_price__gte=0), name="ssp_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} {self.currency} {self.standalone_selling_price}"
