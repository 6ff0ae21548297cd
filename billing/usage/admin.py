"""Admin for usage deals: rate card rows and commitments are added through the services
(a ramp is a new row; a commitment changes only through its ledger); batches, rollups,
ledger entries and alerts are read-only records."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin

from core.admin_history import GuardedHistoryAdmin
from core.errors import DomainValidationError

from .models import (
    BalanceAlert,
    Commitment,
    CommitmentInstallment,
    DailyUsage,
    LedgerEntry,
    UsageBatch,
    UsagePrice,
)
from .services.installments import MONTHS_BETWEEN, InstallmentPlan, check_installment_plan
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


class InstallmentInline(ReadOnlyMixin, admin.TabularInline):
    model = CommitmentInstallment
    fields = ["number", "due_on", "amount", "currency", "invoice_line"]
    readonly_fields = fields
    extra = 0


def _parse_schedule(text: str) -> tuple[tuple[date, Decimal], ...]:
    """Lines of `YYYY-MM-DD amount`."""
    rows = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        try:
            due_on, amount = line.split()
            rows.append((date.fromisoformat(due_on), Decimal(amount)))
        except (ValueError, InvalidOperation) as exc:
            raise forms.ValidationError(
                f"Line {number}: write a date and an amount, e.g. 2026-04-01 30000.00."
            ) from exc
    return tuple(rows)


class CommitmentForm(forms.ModelForm):
    installment_every = forms.ChoiceField(
        required=False,
        choices=[("", "-")] + [(k, k) for k in sorted(MONTHS_BETWEEN)],
        help_text="Paid in installments: equal installments from the start, so often",
    )
    installment_count = forms.IntegerField(required=False, min_value=1)
    installment_schedule = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Or custom installments, one a line: 2026-04-01 30000.00 (they must add "
        "up to the amount and fall within the period)",
    )

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
        every, count = data.get("installment_every") or None, data.get("installment_count")
        try:
            custom = _parse_schedule(data.get("installment_schedule") or "")
        except forms.ValidationError as err:
            raise forms.ValidationError({"installment_schedule": err}) from err
        data["installments"] = (
            InstallmentPlan(every, count, custom) if every or count or custom else None
        )
        try:
            check_grant(
                data["contract"],
                data.get("kind"),
                data.get("payment_plan"),
                data.get("amount"),
                data["starts_on"],
                data["ends_on"],
            )
            check_installment_plan(
                payment_plan=data.get("payment_plan"),
                plan=data["installments"],
                amount=data.get("amount"),
                currency=data["contract"].currency,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except DomainValidationError as err:
            if err.field == "installments":  # the form's field for custom installments
                raise forms.ValidationError({"installment_schedule": err.message}) from err
            raise err.as_validation_error() from err
        return data


@admin.register(Commitment)
class CommitmentAdmin(AddOnlyMixin, GuardedHistoryAdmin):
    form = CommitmentForm
    list_display = ["name", "contract", "kind", "amount", "currency", "starts_on", "ends_on"]
    list_filter = ["kind", "payment_plan", "currency"]
    search_fields = ["name", "contract__name", "contract__account__legal_name"]
    raw_id_fields = ["contract"]
    inlines = [InstallmentInline, LedgerEntryInline]

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
            installments=data["installments"],
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
