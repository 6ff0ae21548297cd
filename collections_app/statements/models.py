"""Statements of account sent by e-mail (imported by collections_app.models)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ordermgmt.models import Account


class StatementKind(models.TextChoices):
    ON_DEMAND = "on_demand", "On demand"
    MONTHLY = "monthly", "Monthly"


class StatementDelivery(models.Model):
    """One statement e-mailed. A monthly one is unique per account, currency and period:
    the claim that keeps a re-run of the schedule from sending it twice."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    period_start = models.DateField()
    period_end = models.DateField()
    kind = models.CharField(max_length=10, choices=StatementKind.choices)
    recipients = models.JSONField(default=list)
    closing_balance = models.DecimalField(max_digits=19, decimal_places=4)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "collections_app"
        ordering = ["-sent_at", "-id"]
        verbose_name_plural = "statement deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency", "period_start", "period_end"],
                condition=models.Q(kind="monthly"),
                name="one_monthly_statement_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"Statement {self.period_start}–{self.period_end} {self.currency} to {self.account}"
