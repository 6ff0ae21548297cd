"""Legal entities, tax rates, number series and FX rates in the admin."""

from __future__ import annotations

from django.contrib import admin

from billing.models import (
    FxRate,
    LegalEntity,
    NumberSeries,
    TaxRate,
)
from core.admin_history import GuardedHistoryAdmin

from .base import ReadOnlyAdminMixin


@admin.register(LegalEntity)
class LegalEntityAdmin(GuardedHistoryAdmin):
    list_display = [
        "name",
        "country",
        "vat_id",
        "tax_id",
        "invoice_prefix",
        "credit_note_prefix",
        "tax_rounding",
        "is_default",
    ]
    list_filter = ["is_default", "tax_rounding"]
    search_fields = ["name", "tax_id"]


@admin.register(TaxRate)
class TaxRateAdmin(GuardedHistoryAdmin):
    list_display = [
        "name",
        "country",
        "region",
        "percent",
        "category",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["country", "effective_from"]
    search_fields = ["name", "country", "region"]


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Gapless series move only by issuing; an edit here could skip or reuse numbers."""

    list_display = ["legal_entity", "document_type", "year", "prefix", "next_number"]
    list_filter = ["document_type", "year", "legal_entity"]


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "reporting_currency", "rate_date", "rate"]
    list_filter = ["currency", "reporting_currency"]
    date_hierarchy = "rate_date"
    search_fields = ["currency"]
