"""Products and their prices per currency over /api/v1/, written through the reference-data
services (ordermgmt.services.reference) so the API refuses what the admin refuses, each
refusal a DomainValidationError → HTTP 400 {field, code, message}, and each write audited.

`ReferenceDataViewSet` is the shape every reference-data endpoint shares (list with filters
and the default pagination, retrieve, POST to create, PATCH to change); the billing and
revenue reference data (billing.api.reference) use it too."""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from ordermgmt.models import Product, ProductPrice
from ordermgmt.models.catalog import RevenueType
from ordermgmt.services import reference as services


class ReferenceDataViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Subclasses name `input_serializer_class` and implement `create_object` and
    `change_object`; `serializer_class` is the output. Decorate with `documented`."""

    input_serializer_class: type[serializers.Serializer]
    change_serializer_class: type[serializers.Serializer] | None = None  # default: input
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        given = self.input_serializer_class(data=request.data)
        given.is_valid(raise_exception=True)
        created = self.create_object(actor=request.user, **given.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        changes = self.change_serializer_class or self.input_serializer_class
        given = changes(data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        changed = self.change_object(instance, actor=request.user, **given.validated_data)
        return Response(self.get_serializer(changed).data)

    def create_object(self, *, actor, **fields):  # pragma: no cover - abstract
        raise NotImplementedError

    def change_object(self, instance, *, actor, **changes):  # pragma: no cover - abstract
        raise NotImplementedError


def documented(input_serializer, output_serializer, change_serializer=None):
    """The OpenAPI operations of a ReferenceDataViewSet: input in, output back."""
    return extend_schema_view(
        create=extend_schema(request=input_serializer, responses={201: output_serializer}),
        partial_update=extend_schema(
            request=change_serializer or input_serializer, responses=output_serializer
        ),
    )


def unit_price(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=19, decimal_places=6, **kwargs)


# --- Output ----------------------------------------------------------------------------------


class ProductPriceOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductPrice
        fields = [
            "id",
            "product",
            "currency",
            "list_price",
            "floor_price",
            "standalone_selling_price",
            "prices_include_tax",
        ]


class SspRangeOutputSerializer(serializers.Serializer):
    """A product's SSP range, read through `product.ssp_ranges`: billing.revenue keeps the
    model, and commercial records import nothing from billing."""

    id = serializers.IntegerField(read_only=True)
    product = serializers.IntegerField(source="product_id", read_only=True)
    currency = serializers.CharField(read_only=True)
    minimum = serializers.DecimalField(max_digits=19, decimal_places=6, read_only=True)
    maximum = serializers.DecimalField(max_digits=19, decimal_places=6, read_only=True)
    source = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ProductOutputSerializer(serializers.ModelSerializer):
    prices = ProductPriceOutputSerializer(many=True, read_only=True)
    ssp_ranges = SspRangeOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "revenue_type",
            "active",
            "distinct",
            "salesforce_id",
            "prices",
            "ssp_ranges",
        ]


# --- Input -----------------------------------------------------------------------------------
# Types only: emptiness, ranges, duplicates and the model's own rules are the services'.


class ProductInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    revenue_type = serializers.ChoiceField(choices=RevenueType.choices)
    active = serializers.BooleanField(required=False)
    distinct = serializers.BooleanField(
        required=False, help_text="ASC 606: off means combined with the subscription."
    )


class ProductPriceInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code.")
    standalone_selling_price = unit_price()
    list_price = unit_price(required=False, allow_null=True)
    floor_price = unit_price(
        required=False, allow_null=True, help_text="Lowest unit price accepted without review."
    )
    prices_include_tax = serializers.BooleanField(
        required=False, help_text="List and floor prices are gross (tax included)."
    )


class ProductPriceChangeSerializer(serializers.Serializer):
    """Product and currency name the price; they can't be changed."""

    standalone_selling_price = unit_price(required=False)
    list_price = unit_price(required=False, allow_null=True)
    floor_price = unit_price(required=False, allow_null=True)
    prices_include_tax = serializers.BooleanField(required=False)


# --- Views -----------------------------------------------------------------------------------


@documented(ProductInputSerializer, ProductOutputSerializer)
class ProductViewSet(ReferenceDataViewSet):
    queryset = Product.objects.prefetch_related("prices", "ssp_ranges").order_by("sku")
    serializer_class = ProductOutputSerializer
    input_serializer_class = ProductInputSerializer
    filterset_fields = ["revenue_type", "active", "distinct"]
    search_fields = ["sku", "name"]
    ordering_fields = ["sku", "name"]

    def create_object(self, *, actor, **fields):
        return services.create_product(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return services.change_product(product=instance, actor=actor, **changes)


class ProductPriceFilter(filters.FilterSet):
    currency = filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = ProductPrice
        fields = ["product", "currency"]


@documented(ProductPriceInputSerializer, ProductPriceOutputSerializer, ProductPriceChangeSerializer)
class ProductPriceViewSet(ReferenceDataViewSet):
    """A product's list, floor and standalone selling price in one currency."""

    queryset = ProductPrice.objects.select_related("product").order_by("product__sku", "currency")
    serializer_class = ProductPriceOutputSerializer
    input_serializer_class = ProductPriceInputSerializer
    change_serializer_class = ProductPriceChangeSerializer
    filterset_class = ProductPriceFilter
    search_fields = ["product__sku", "product__name"]

    def create_object(self, *, actor, **fields):
        return services.create_product_price(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return services.change_product_price(price=instance, actor=actor, **changes)
