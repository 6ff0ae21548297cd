"""Admin: per-contract revenue settings and SSP ranges are edited here (through the
revenue services); obligations, allocations, schedules and modifications are read-only
records with their history."""

from django import forms
from django.contrib import admin

from core.admin_history import GuardedHistoryAdmin
from core.errors import DomainValidationError
from ordermgmt.models import ContractLine

from . import services
from .models import (
    AllocationLine,
    ContractModification,
    Delivery,
    ObligationLine,
    PerformanceObligation,
    RevenueAllocation,
    RevenueContractSettings,
    RevenueException,
    RevenueSchedule,
    RevenueScheduleLine,
    SspRange,
)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RevenueSettingsForm(forms.ModelForm):
    class Meta:
        model = RevenueContractSettings
        fields = [
            "contract",
            "ratable_method",
            "ramp_policy",
            "discount_exception",
            "discount_lines",
            "variable_consideration_amount",
            "variable_consideration_method",
            "variable_consideration_line",
            "priced_at_ssp",
            "remaining_goods_distinct",
            "modification_effective_date",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        contract = cleaned.get("contract")
        if contract is None:
            return cleaned
        changes = {
            name: cleaned[name]
            for name in services.SETTINGS_FIELDS
            if name in cleaned and (self.instance.pk is None or name in self.changed_data)
        }
        try:
            services.check_settings_change(contract, changes)
        except DomainValidationError as err:
            raise err.as_validation_error() from err
        self.revenue_changes = changes
        return cleaned


@admin.register(RevenueContractSettings)
class RevenueContractSettingsAdmin(GuardedHistoryAdmin):
    form = RevenueSettingsForm
    list_display = [
        "contract",
        "ratable_method",
        "ramp_policy",
        "discount_exception",
        "variable_consideration_amount",
        "priced_at_ssp",
        "updated_at",
    ]
    list_filter = ["ratable_method", "ramp_policy", "discount_exception"]
    search_fields = ["contract__name", "contract__account__legal_name"]
    raw_id_fields = ["contract", "variable_consideration_line"]
    filter_horizontal = ["discount_lines"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "discount_lines":
            kwargs["queryset"] = ContractLine.objects.select_related("contract", "product")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service (the form already checked the change with it); the change
        # form runs in a transaction, so the non-durable body is called. It sets the m2m.
        saved = services.change_settings(
            contract=form.cleaned_data["contract"], actor=request.user, **form.revenue_changes
        )
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """discount_lines were set by the service."""


@admin.register(SspRange)
class SspRangeAdmin(GuardedHistoryAdmin):
    list_display = ["product", "currency", "minimum", "maximum", "source", "updated_at"]
    list_filter = ["currency"]
    search_fields = ["product__sku", "product__name"]
    raw_id_fields = ["product"]


class ObligationLineInline(ReadOnlyMixin, admin.TabularInline):
    model = ObligationLine
    fields = ["contract_line", "ssp_unit_price", "ssp_amount", "contract_price", "combined"]
    readonly_fields = fields
    extra = 0


class DeliveryInline(ReadOnlyMixin, admin.TabularInline):
    model = Delivery
    fields = ["kind", "delivered_on", "quantity", "reference", "recorded_by", "recorded_at"]
    readonly_fields = fields
    extra = 0


@admin.register(PerformanceObligation)
class PerformanceObligationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "pattern",
        "service_start",
        "service_end",
        "currency",
        "ssp_amount",
        "allocated_amount",
    ]
    list_filter = ["pattern", "currency"]
    search_fields = ["name", "contract__name"]
    inlines = [ObligationLineInline, DeliveryInline]


class AllocationLineInline(ReadOnlyMixin, admin.TabularInline):
    model = AllocationLine
    fields = [
        "obligation",
        "ssp_amount",
        "contract_price",
        "recognised_before",
        "allocated_amount",
        "total_amount",
        "basis",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(RevenueAllocation)
class RevenueAllocationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "is_current",
        "effective_date",
        "reason",
        "method",
        "transaction_price",
        "currency",
    ]
    list_filter = ["is_current", "reason", "method", "currency"]
    inlines = [AllocationLineInline]


class ScheduleLineInline(ReadOnlyMixin, admin.TabularInline):
    model = RevenueScheduleLine
    fields = [
        "kind",
        "period_start",
        "period_end",
        "recognition_date",
        "amount",
        "cumulative_amount",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(RevenueSchedule)
class RevenueScheduleAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "is_current", "effective_date", "reason", "total_amount"]
    list_filter = ["is_current", "basis_mode", "currency"]
    inlines = [ScheduleLineInline]


@admin.register(ContractModification)
class ContractModificationAdmin(ReadOnlyMixin, GuardedHistoryAdmin):
    list_display = [
        "amendment",
        "original",
        "treatment",
        "priced_at_ssp",
        "remaining_goods_distinct",
        "effective_date",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["treatment"]


@admin.register(RevenueException)
class RevenueExceptionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["contract", "code", "message", "raised_at", "resolved_at"]
    list_filter = ["code"]
