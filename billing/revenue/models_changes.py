"""How a change order (ordermgmt.ContractChange) is accounted for under ASC 606: the
treatment its facts call for, why, and Finance's override with a note."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from ordermgmt.models import ContractChange

from .models import ModificationTreatment


class ChangeOrderRevenue(models.Model):
    change = models.OneToOneField(
        ContractChange, on_delete=models.PROTECT, related_name="revenue_treatment"
    )
    treatment = models.CharField(max_length=20, choices=ModificationTreatment.choices)
    suggested_treatment = models.CharField(
        max_length=20,
        choices=ModificationTreatment.choices,
        help_text="What the facts call for; `treatment` differs when Finance overrode it.",
    )
    reason = models.TextField(help_text="Why the facts call for the suggested treatment")
    facts = models.JSONField(default=dict)
    applied = models.BooleanField(
        default=False, help_text="Revenue schedules were re-versioned (the contract had revenue)"
    )
    base_schedules = models.JSONField(
        default=dict, help_text="{obligation id: schedule id} current before this change"
    )
    override_note = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.change.reference}: {self.get_treatment_display()}"
