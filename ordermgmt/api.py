"""REST API for the commercial records under /api/v1/.

Contract writes go through ordermgmt.services, exactly as the admin's buttons do.
"""

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.amount_input import AmountSerializerField
from core.api_fields import ExactAmountField
from ordermgmt import services
from ordermgmt.filters import AccountFilter, ContractFilter
from ordermgmt.models import (
    Account,
    Contact,
    Contract,
    ContractLine,
    Opportunity,
    Product,
    RampStep,
)

# --- Accounts, contacts, products, opportunities ---------------------------------------


class ModelValidatingSerializer(serializers.ModelSerializer):
    """Runs the model's own validators so the API refuses what the admin refuses."""

    def validate(self, attrs):
        from django.core.exceptions import ValidationError as DjangoValidationError

        instance = self.instance or self.Meta.model()
        for name, value in attrs.items():
            setattr(instance, name, value)
        try:
            instance.full_clean(exclude=self._excluded_from_clean())
        except DjangoValidationError as err:
            raise serializers.ValidationError(err.message_dict) from err
        return attrs

    def _excluded_from_clean(self) -> list[str]:
        return [f.name for f in self.Meta.model._meta.fields if f.name not in self.fields]


class AccountSerializer(ModelValidatingSerializer):
    class Meta:
        model = Account
        fields = [
            "id",
            "legal_name",
            "billing_address_line1",
            "billing_address_line2",
            "billing_city",
            "billing_region",
            "billing_postal_code",
            "billing_country",
            "tax_id",
            "tax_exempt",
            "default_currency",
            "default_payment_terms",
            "salesforce_id",
            "stripe_customer_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class AccountViewSet(viewsets.ModelViewSet):
    queryset = Account.objects.all()
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["legal_name", "tax_id", "salesforce_id"]
    ordering_fields = ["legal_name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]


class ContactSerializer(ModelValidatingSerializer):
    class Meta:
        model = Contact
        fields = ["id", "account", "name", "email", "phone", "is_billing_contact", "salesforce_id"]


class ContactViewSet(viewsets.ModelViewSet):
    queryset = Contact.objects.all()
    serializer_class = ContactSerializer
    filterset_fields = ["account", "is_billing_contact"]
    search_fields = ["name", "email"]
    http_method_names = ["get", "post", "patch", "head", "options"]


# Products and their prices: ordermgmt.api_catalog (written through services).


class OpportunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Opportunity
        fields = [
            "id",
            "salesforce_id",
            "account",
            "name",
            "stage",
            "close_date",
            "amount",
            "currency",
            "owner_name",
        ]


class OpportunityFilter(filters.FilterSet):
    close_date_from = filters.DateFilter(field_name="close_date", lookup_expr="gte")
    close_date_to = filters.DateFilter(field_name="close_date", lookup_expr="lte")

    class Meta:
        model = Opportunity
        fields = ["account", "stage", "currency"]


class OpportunityViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Opportunity.objects.all()
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilter
    search_fields = ["name"]


# --- Contracts -------------------------------------------------------------------------


class RampStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = RampStep
        fields = ["start_date", "end_date", "quantity", "unit_price"]


class ContractLineOutputSerializer(serializers.ModelSerializer):
    ramp_steps = RampStepSerializer(many=True, read_only=True)
    net_amount = ExactAmountField()

    class Meta:
        model = ContractLine
        fields = [
            "id",
            "product",
            "description",
            "currency",
            "quantity",
            "unit_price",
            "discount_percent",
            "net_amount",
            "ramp_steps",
        ]


class ContractOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    lines = ContractLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "name",
            "account",
            "opportunity",
            "kind",
            "original_contract",
            "status",
            "start_date",
            "end_date",
            "currency",
            "payment_terms",
            "billing_frequency",
            "billing_timing",
            "day_count_convention",
            "prices_include_tax",
            "billing_anchor_day",
            "custom_billing_plan",
            "po_number",
            "auto_renew",
            "termination_for_convenience",
            "billing_hold",
            "activated_at",
            "lines",
        ]


class RampStepInputSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=19, decimal_places=4)
    unit_price = AmountSerializerField(max_digits=19, decimal_places=6)


class ContractLineInputSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    description = serializers.CharField(required=False, allow_blank=True, default="")
    currency = serializers.CharField(required=False, allow_null=True, default=None)
    quantity = serializers.DecimalField(max_digits=19, decimal_places=4)
    unit_price = AmountSerializerField(max_digits=19, decimal_places=6)
    discount_percent = serializers.DecimalField(max_digits=7, decimal_places=4, default=0)
    ramp_steps = RampStepInputSerializer(many=True, required=False, default=list)


class ContractInputSerializer(serializers.Serializer):
    """Shapes only; the business rules live in the contract services."""

    name = serializers.CharField(max_length=200)
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    currency = serializers.CharField(max_length=3)
    payment_terms = serializers.CharField(max_length=12, default="NET30")
    billing_frequency = serializers.ChoiceField(
        choices=Contract._meta.get_field("billing_frequency").choices, default="annual"
    )
    billing_timing = serializers.ChoiceField(
        choices=Contract._meta.get_field("billing_timing").choices, default="advance"
    )
    day_count_convention = serializers.ChoiceField(
        choices=Contract._meta.get_field("day_count_convention").choices, default="actual_actual"
    )
    prices_include_tax = serializers.BooleanField(
        default=False,
        help_text="Unit prices include tax: invoices split net and tax from them by the "
        "seller's tax rounding rule (legal entity `tax_rounding`).",
    )
    po_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    billing_anchor_day = serializers.IntegerField(required=False, allow_null=True, default=None)
    custom_billing_plan = serializers.JSONField(required=False, default=list)
    auto_renew = serializers.BooleanField(default=False)
    termination_for_convenience = serializers.BooleanField(default=False)
    kind = serializers.ChoiceField(choices=Contract._meta.get_field("kind").choices, default="new")
    original_contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.all(), required=False, allow_null=True, default=None
    )
    lines = ContractLineInputSerializer(many=True)

    def to_service_args(self) -> dict:
        data = dict(self.validated_data)
        lines = [
            services.ContractLineInput(
                **{**line, "ramp_steps": [services.RampStepInput(**s) for s in line["ramp_steps"]]}
            )
            for line in data.pop("lines")
        ]
        account = data.pop("account")
        kind = data.pop("kind")
        original = data.pop("original_contract")
        return {
            "account": account,
            "kind": kind,
            "original_contract": original,
            "terms": services.ContractTerms(**data),
            "lines": lines,
        }


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BillingHoldSerializer(serializers.Serializer):
    on_hold = serializers.BooleanField()
    reason = serializers.CharField(max_length=500)


class TaxBasisSerializer(serializers.Serializer):
    prices_include_tax = serializers.BooleanField()


class ActivateInputSerializer(serializers.Serializer):
    confirm_catch_up = serializers.BooleanField(
        default=False,
        help_text="Needed for a contract that started in the past: activating it bills the "
        "past periods at once (see /contracts/{id}/catch-up-preview/).",
    )


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Contract.objects.prefetch_related(
        Prefetch("lines", queryset=ContractLine.objects.prefetch_related("ramp_steps"))
    )
    serializer_class = ContractOutputSerializer
    filterset_class = ContractFilter
    search_fields = ["name", "po_number", "account__legal_name"]
    ordering_fields = ["start_date", "end_date", "created_at"]
    required_permissions = {
        "submit": ["ordermgmt.submit_contract"],
        "approve": ["ordermgmt.approve_contract"],
        "reject": ["ordermgmt.approve_contract"],
        "activate": ["ordermgmt.activate_contract"],
        "cancel": ["ordermgmt.cancel_contract"],
        "billing_hold": ["ordermgmt.change_contract"],
        "tax_basis": ["ordermgmt.change_contract"],
    }

    def _out(self, contract, status_code=status.HTTP_200_OK):
        contract = self.get_queryset().get(pk=contract.pk)
        return Response(ContractOutputSerializer(contract).data, status=status_code)

    @extend_schema(request=ContractInputSerializer, responses=ContractOutputSerializer)
    def create(self, request):
        serializer = ContractInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contract = services.create_contract(actor=request.user, **serializer.to_service_args())
        return self._out(contract, status.HTTP_201_CREATED)

    @extend_schema(request=ContractInputSerializer, responses=ContractOutputSerializer)
    def update(self, request, pk=None):
        contract = self.get_object()
        serializer = ContractInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        args = serializer.to_service_args()
        contract = services.update_contract(
            contract=contract, terms=args["terms"], lines=args["lines"], actor=request.user
        )
        return self._out(contract)

    def _transition(self, request, service, with_comment: bool):
        contract = self.get_object()
        kwargs = {"contract": contract, "actor": request.user}
        if with_comment:
            body = CommentSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            kwargs["comment"] = body.validated_data["comment"]
        return self._out(service(**kwargs))

    @extend_schema(request=None, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, services.submit_contract, False)

    @extend_schema(request=CommentSerializer, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, services.approve_contract, True)

    @extend_schema(request=CommentSerializer, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, services.reject_contract, True)

    @extend_schema(request=ActivateInputSerializer, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        body = ActivateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        contract = services.activate_contract(
            contract=self.get_object(),
            actor=request.user,
            confirm_catch_up=body.validated_data["confirm_catch_up"],
        )
        return self._out(contract)

    @extend_schema(request=CommentSerializer, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, services.cancel_contract, True)

    @extend_schema(request=BillingHoldSerializer, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"], url_path="billing-hold")
    def billing_hold(self, request, pk=None):
        """Put billing on hold or release it, with a reason; allowed on active contracts."""
        contract = self.get_object()
        body = BillingHoldSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.set_billing_hold(contract=contract, actor=request.user, **body.validated_data)
        )

    @extend_schema(request=TaxBasisSerializer, responses=ContractOutputSerializer)
    @action(detail=True, methods=["post"], url_path="tax-basis")
    def tax_basis(self, request, pk=None):
        """Whether the prices include tax; refused once the contract is active."""
        contract = self.get_object()
        body = TaxBasisSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.set_tax_basis(contract=contract, actor=request.user, **body.validated_data)
        )
