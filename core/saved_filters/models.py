"""A user's saved filter on a console list: the list's query string under a name."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ConsoleList(models.TextChoices):
    """The console lists that take a saved filter, each with one FilterSet behind it."""

    INVOICES = "invoices", "Invoices"
    PAYMENTS = "payments", "Payments"
    CONTRACTS = "contracts", "Contracts"
    CUSTOMERS = "customers", "Customers"


class SavedFilter(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    list_name = models.CharField(max_length=20, choices=ConsoleList.choices)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_name", "name"], name="saved_filter_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_list_name_display()})"
