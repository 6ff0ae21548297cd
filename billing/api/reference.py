"""Billing and revenue reference data over /api/v1/: tax rates, legal entities (sellers)
with their number-series prefixes, the number series themselves (read-only: they move only
by issuing), FX rates and SSP ranges. Writes go through billing.services.reference and
billing.revenue.services.ssp; a refusal is HTTP 400 {field, code, message}."""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from billing.models import FxRate, LegalEntity, NumberSeries, TaxRate
from billing.revenue.models import SspRange
from billing.revenue.services import ssp as ssp_services
from billing.services import reference as services
from ordermgmt.api_catalog import (
    ReferenceDataViewSet,
    SspRangeOutputSerializer,
    documented,
    unit_price,
)
from ordermgmt.models import Product

# --- Tax rates -------------------------------------------------------------------------------


class TaxRateOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxRate
        fields = ["id", "country", "region", "name", "percent", "effective_from", "effective_to"]


class TaxRateInputSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, help_text="ISO 3166 alpha-2 of the buyer.")
    region = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Empty: the whole country."
    )
    name = serializers.CharField(max_length=100)
    percent = serializers.DecimalField(max_digits=7, decimal_places=4)
    effective_from = serializers.DateField()
    effective_to = serializers.DateField(
        required=False, allow_null=True, help_text="Inclusive; empty: open."
    )


class TaxRateFilter(filters.FilterSet):
    country = filters.CharFilter(lookup_expr="iexact")
    effective_on = filters.DateFilter(
        method="filter_effective_on", label="Rates in force on this date"
    )

    class Meta:
        model = TaxRate
        fields = ["country", "region"]

    def filter_effective_on(self, queryset, name, value):
        return queryset.filter(effective_from__lte=value).exclude(effective_to__lt=value)


@documented(TaxRateInputSerializer, TaxRateOutputSerializer)
class TaxRateViewSet(ReferenceDataViewSet):
    queryset = TaxRate.objects.all()
    serializer_class = TaxRateOutputSerializer
    input_serializer_class = TaxRateInputSerializer
    filterset_class = TaxRateFilter
    search_fields = ["name", "country", "region"]
    ordering_fields = ["country", "effective_from"]

    def create_object(self, *, actor, **fields):
        return services.create_tax_rate(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return services.change_tax_rate(tax_rate=instance, actor=actor, **changes)


# --- Legal entities and number series --------------------------------------------------------


class NumberSeriesOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = NumberSeries
        fields = ["id", "legal_entity", "document_type", "year", "prefix", "next_number"]


class LegalEntityOutputSerializer(serializers.ModelSerializer):
    number_series = NumberSeriesOutputSerializer(
        many=True, read_only=True, source="numberseries_set"
    )

    class Meta:
        model = LegalEntity
        fields = [
            "id",
            "name",
            "address",
            "tax_id",
            "remit_to",
            "email",
            "invoice_prefix",
            "credit_note_prefix",
            "is_default",
            "tax_rounding",
            "number_series",
        ]


class LegalEntityInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    address = serializers.CharField()
    tax_id = serializers.CharField(max_length=50, required=False, allow_blank=True)
    remit_to = serializers.CharField(help_text="Bank name, IBAN/account, SWIFT, reference.")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    invoice_prefix = serializers.CharField(
        max_length=12, required=False, help_text="Applies from the next year's series."
    )
    credit_note_prefix = serializers.CharField(
        max_length=12, required=False, help_text="Applies from the next year's series."
    )
    is_default = serializers.BooleanField(required=False)
    # A plain string: the service refuses an unknown rule with the catalog's
    # unknown_tax_rounding code, as the admin does.
    tax_rounding = serializers.CharField(
        max_length=8,
        required=False,
        help_text="'total' (per rate, EN 16931: each VAT category's tax rounded once; the "
        "default) or 'line' (each line's tax rounded). Applies to invoices drafted from "
        "then on, tax-exclusive and tax-inclusive prices alike, and their credit notes.",
    )


@documented(LegalEntityInputSerializer, LegalEntityOutputSerializer)
class LegalEntityViewSet(ReferenceDataViewSet):
    queryset = LegalEntity.objects.prefetch_related("numberseries_set").order_by("name")
    serializer_class = LegalEntityOutputSerializer
    input_serializer_class = LegalEntityInputSerializer
    filterset_fields = ["is_default"]
    search_fields = ["name", "tax_id"]

    def create_object(self, *, actor, **fields):
        return services.create_legal_entity(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return services.change_legal_entity(legal_entity=instance, actor=actor, **changes)


class NumberSeriesViewSet(viewsets.ReadOnlyModelViewSet):
    """Gapless series move only by issuing; an edit could skip or reuse numbers."""

    queryset = NumberSeries.objects.order_by("legal_entity", "document_type", "-year")
    serializer_class = NumberSeriesOutputSerializer
    filterset_fields = ["legal_entity", "document_type", "year"]


# --- FX rates --------------------------------------------------------------------------------


class FxRateOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["id", "currency", "reporting_currency", "rate_date", "rate"]


class FxRateInputSerializer(serializers.Serializer):
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code.")
    reporting_currency = serializers.CharField(
        max_length=3, required=False, help_text="ISO 4217 code; USD if not given."
    )
    rate_date = serializers.DateField()
    rate = serializers.DecimalField(
        max_digits=19, decimal_places=8, help_text="1 currency = rate reporting currency."
    )


class FxRateFilter(filters.FilterSet):
    currency = filters.CharFilter(lookup_expr="iexact")
    reporting_currency = filters.CharFilter(lookup_expr="iexact")
    rate_date = filters.DateFromToRangeFilter()

    class Meta:
        model = FxRate
        fields = ["currency", "reporting_currency", "rate_date"]


@documented(FxRateInputSerializer, FxRateOutputSerializer)
class FxRateViewSet(ReferenceDataViewSet):
    queryset = FxRate.objects.order_by("-rate_date", "currency")
    serializer_class = FxRateOutputSerializer
    input_serializer_class = FxRateInputSerializer
    filterset_class = FxRateFilter
    ordering_fields = ["rate_date", "currency"]

    def create_object(self, *, actor, **fields):
        return services.create_fx_rate(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return services.change_fx_rate(fx_rate=instance, actor=actor, **changes)


# --- SSP ranges (residual approach) ----------------------------------------------------------


class SspRangeInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code.")
    minimum = unit_price()
    maximum = unit_price()
    source = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SspRangeChangeSerializer(serializers.Serializer):
    """Product and currency name the range; they can't be changed."""

    minimum = unit_price(required=False)
    maximum = unit_price(required=False)
    source = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SspRangeFilter(filters.FilterSet):
    currency = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = SspRange
        fields = ["product", "currency"]


@documented(SspRangeInputSerializer, SspRangeOutputSerializer, SspRangeChangeSerializer)
class SspRangeViewSet(ReferenceDataViewSet):
    """Observed selling-price range of a product whose SSP is highly variable (606-10-32-34c)."""

    queryset = SspRange.objects.select_related("product").order_by("product__sku", "currency")
    serializer_class = SspRangeOutputSerializer
    input_serializer_class = SspRangeInputSerializer
    change_serializer_class = SspRangeChangeSerializer
    filterset_class = SspRangeFilter
    search_fields = ["product__sku", "product__name"]

    def create_object(self, *, actor, **fields):
        return ssp_services.create_ssp_range(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return ssp_services.change_ssp_range(ssp_range=instance, actor=actor, **changes)
