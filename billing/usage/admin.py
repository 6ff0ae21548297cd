"""Admin for usage deals: rate card rows and commitments are added through the services
(a ramp is a new row; a commitment changes only through its ledger); batches, rollups,
ledger entries and alerts are read-only records."""

from django import forms
from django.contrib import admin

from core.admin_history import GuardedHistoryAdmin
from core.errors import DomainValidationError

from .models import BalanceAlert, Commitment, DailyUsage, LedgerEntry, UsageBatch, UsagePrice
from .services.ledger import check_grant, grant_commitment_body
from .services.rates import PriceTerms, check_price, set_usage_price_body


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AddOnlyMixin:
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class UsagePriceForm(forms.ModelForm):
    class Meta:
        model = UsagePrice
        fields = [
            "contract_line",
            "metric",
            "pricing_model",
            "starts_on",
            "ends_on",
            "unit_price",
            "package_size",
            "tiers",
        ]

    def clean(self):
        data = super().clean()
        if data.get("contract_line") is None:
            return data
        try:
            check_price(data["contract_line"], _terms(data))
        except DomainValidationError as err:
            raise err.as_validation_error() from err
        return data


def _terms(data) -> PriceTerms:
    return PriceTerms(
        metric=data.get("metric") or "",
        pricing_model=data.get("pricing_model") or "",
        starts_on=data["starts_on"],
        ends_on=data.get("ends_on"),
        unit_price=data.get("unit_price") or 0,
        package_size=data.get("package_size"),
        tiers=data.get("tiers") or [],
    )


@admin.register(UsagePrice)
class UsagePriceAdmin(AddOnlyMixin, GuardedHistoryAdmin):
    form = UsagePriceForm
    list_display = ["contract", "metric", "pricing_model", "starts_on", "ends_on", "currency"]
    list_filter = ["pricing_model", "currency"]
    search_fields = ["metric", "contract__name", "contract__account__legal_name"]
    raw_id_fields = ["contract_line"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data  # checked by the form with the service's rules
        saved = set_usage_price_body(
            contract_line=data["contract_line"], terms=_terms(data), actor=request.user
        )
        obj.pk = saved.pk


class LedgerEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ["effective_date", "kind", "amount", "currency", "invoice_line", "explanation"]
    readonly_fields = fields
    extra = 0


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = [
            "contract",
            "kind",
            "payment_plan",
            "name",
            "amount",
            "starts_on",
            "ends_on",
            "priority",
            "overage_percent",
            "rollover",
            "alert_thresholds",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].required = False  # empty: the kind's default order
        self.fields["priority"].help_text = "Lower draws first; empty for the kind's default"

    def clean(self):
        data = super().clean()
        if data.get("contract") is None or not data.get("starts_on") or not data.get("ends_on"):
            return data
        try:
            check_grant(
                data["contract"],
                data.get("kind"),
                data.get("payment_plan"),
                data.get("amount"),
                data["starts_on"],
                data["ends_on"],
            )
        except DomainValidationError as err:
            raise err.as_validation_error() from err
        return data


@admin.register(Commitment)
class CommitmentAdmin(AddOnlyMixin, GuardedHistoryAdmin):
    form = CommitmentForm
    list_display = ["name", "contract", "kind", "amount", "currency", "starts_on", "ends_on"]
    list_filter = ["kind", "payment_plan", "currency"]
    search_fields = ["name", "contract__name", "contract__account__legal_name"]
    raw_id_fields = ["contract"]
    inlines = [LedgerEntryInline]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data  # checked by the form with the service's rules
        saved = grant_commitment_body(
            contract=data["contract"],
            kind=data["kind"],
            payment_plan=data["payment_plan"],
            name=data["name"],
            amount=data["amount"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            priority=data.get("priority"),
            overage_percent=data["overage_percent"],
            rollover=data["rollover"],
            alert_thresholds=data.get("alert_thresholds") or [],
            actor=request.user,
        )
        obj.pk = saved.pk


@admin.register(UsageBatch)
class UsageBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "source", "received_at", "received", "accepted", "rejected", "refused"]
    list_filter = ["source", "refused"]


@admin.register(DailyUsage)
class DailyUsageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["contract", "metric", "usage_date", "quantity", "events", "billed_quantity"]
    list_filter = ["metric"]
    date_hierarchy = "usage_date"


@admin.register(BalanceAlert)
class BalanceAlertAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["commitment", "account", "threshold", "percent_used", "sent_at", "emailed_at"]
