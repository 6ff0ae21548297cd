from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.errors import DomainValidationError
from core.fields import CurrencyField, PaymentTermsField, quantity_field, unit_price_field
from core.money import WIDE, exact_product, round_money
from core.terms import PaymentTerms
from core.transitions import StatusMachine
from ordermgmt.error_codes import OrderError

from .accounts import Account
from .catalog import Product
from .opportunities import Opportunity


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


# The only moves a contract's status can make; services call transition_to().
CONTRACT_TRANSITIONS: dict[str, set[str]] = {
    ContractStatus.DRAFT: {
        ContractStatus.PENDING_REVIEW,
        ContractStatus.APPROVED,  # submitted with no non-standard term (deal desk rules)
        ContractStatus.CANCELLED,
    },
    ContractStatus.PENDING_REVIEW: {
        ContractStatus.APPROVED,
        ContractStatus.DRAFT,  # rejected, back to the specialist with reasons
        ContractStatus.CANCELLED,
    },
    ContractStatus.APPROVED: {
        ContractStatus.ACTIVE,
        ContractStatus.PENDING_REVIEW,  # a flagged term changed after approval
        ContractStatus.CANCELLED,
    },
    ContractStatus.ACTIVE: {ContractStatus.EXPIRED, ContractStatus.CANCELLED},
    ContractStatus.EXPIRED: set(),
    ContractStatus.CANCELLED: set(),
}
EDITABLE_STATUSES = {ContractStatus.DRAFT, ContractStatus.PENDING_REVIEW, ContractStatus.APPROVED}


class ContractKind(models.TextChoices):
    NEW = "new", "New business"
    AMENDMENT = "amendment", "Amendment"
    RENEWAL = "renewal", "Renewal"


class BillingFrequency(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUAL = "annual", "Annual"
    UPFRONT = "upfront", "Upfront (whole term)"
    CUSTOM = "custom", "Custom schedule"


class BillingTiming(models.TextChoices):
    ADVANCE = "advance", "In advance"
    ARREARS = "arrears", "In arrears"


class DayCountConvention(models.TextChoices):
    ACTUAL_ACTUAL = "actual_actual", "Actual/actual (days)"
    THIRTY_360 = "30_360", "30/360 (US)"
    THIRTY_E_360 = "30e_360", "30E/360 (European)"
    ACTUAL_360 = "actual_360", "Actual/360"


class Contract(StatusMachine, models.Model):
    name = models.CharField(max_length=200)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="contracts")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.SET_NULL, related_name="contracts"
    )
    kind = models.CharField(max_length=16, choices=ContractKind.choices, default=ContractKind.NEW)
    original_contract = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The contract an amendment changes or a renewal renews.",
    )
    status = models.CharField(
        max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )  # read-only in forms and the API; save() refuses a move outside transition_to()
    start_date = models.DateField()
    end_date = models.DateField()
    currency = CurrencyField()
    payment_terms = PaymentTermsField(default="NET30")
    billing_frequency = models.CharField(
        max_length=16, choices=BillingFrequency.choices, default=BillingFrequency.ANNUAL
    )
    billing_timing = models.CharField(
        max_length=8, choices=BillingTiming.choices, default=BillingTiming.ADVANCE
    )
    day_count_convention = models.CharField(
        max_length=16, choices=DayCountConvention.choices, default=DayCountConvention.ACTUAL_ACTUAL
    )
    billing_anchor_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Bill on this day of the month (1–28); empty: on the start date's day. "
        "A start on another day makes a prorated first period.",
    )
    custom_billing_plan = models.JSONField(
        default=list,
        blank=True,
        help_text='Custom frequency only: [{"billing_date": "2026-01-01", "percent": "50"}, ...]',
    )
    prices_include_tax = models.BooleanField(
        default=False,
        help_text="Unit prices are gross: each invoice line's net and tax are split from them, "
        "and invoices total exactly the gross prices agreed (split by the seller's "
        "tax rounding rule).",
    )
    po_number = models.CharField("PO number", max_length=64, blank=True)
    auto_renew = models.BooleanField(default=False)
    termination_for_convenience = models.BooleanField(default=False)
    billing_hold = models.BooleanField(default=False, help_text="Billing runs skip it while set.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contracts",
    )
    notes = models.TextField(blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    transitions = CONTRACT_TRANSITIONS
    status_noun = "A contract"

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["status", "start_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_not_before_start",
            ),
        ]
        permissions = [
            ("submit_contract", "Can submit a contract for review"),
            ("approve_contract", "Can approve or reject a contract (deal desk)"),
            ("activate_contract", "Can activate an approved contract"),
            ("cancel_contract", "Can cancel a contract"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    def save(self, *args, **kwargs):
        # The status changes only through transition_to(); any other save that moves it
        # (admin, API, a plain ORM save) is refused.
        loaded = getattr(self, "_loaded_status", None)
        if (
            self._state.adding
            and self.status != ContractStatus.DRAFT
            and not self.moved_by_transition()
        ):
            raise DomainValidationError(
                field="status",
                code=OrderError.ILLEGAL_TRANSITION,
                message="A new contract starts as a draft.",
            )
        if not self._state.adding and self.status != loaded and not self.moved_by_transition():
            raise DomainValidationError(
                field="status",
                code=OrderError.ILLEGAL_TRANSITION,
                message=f"Status moves from {loaded} only through the contract services.",
            )
        super().save(*args, **kwargs)
        self._loaded_status = self.status
        self.transition_saved()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_status = instance.__dict__.get("status")
        return instance

    @property
    def reference(self) -> str:
        return f"CTR-{self.pk:06d}" if self.pk else "CTR-new"

    @property
    def terms(self) -> PaymentTerms:
        return PaymentTerms.parse(self.payment_terms)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @classmethod
    def status_label(cls, value: str) -> str:
        return ContractStatus(value).label

    def clean(self) -> None:
        from ordermgmt.services.validation import contract_header_errors

        errors = contract_header_errors(self)
        if errors:
            raise errors[0].as_validation_error()


class ContractLine(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    description = models.CharField(max_length=200, blank=True)
    currency = CurrencyField(blank=True, help_text="Must be the contract's currency.")
    quantity = quantity_field(default=Decimal("1"))
    unit_price = unit_price_field(help_text="Per billing year for subscriptions.")
    discount_percent = models.DecimalField(
        max_digits=7, decimal_places=4, default=Decimal("0"), help_text="0 to 100"
    )
    # Set by change orders only (ordermgmt.services.change_orders): a line serves from
    # service_start to service_end; empty means the contract's start or end.
    service_start = models.DateField(null=True, blank=True, editable=False)
    service_end = models.DateField(null=True, blank=True, editable=False)
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        editable=False,
        help_text="The line whose terms this one carries on from a change order.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="line_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="line_unit_price_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="line_discount_0_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} × {_plain(self.quantity)}"

    def save(self, *args, **kwargs):
        if not self.currency and self.contract_id:
            self.currency = self.contract.currency
        super().save(*args, **kwargs)

    @property
    def serves_from(self) -> date:
        return self.service_start or self.contract.start_date

    @property
    def serves_until(self) -> date:
        return self.service_end or self.contract.end_date

    @property
    def net_unit_price(self) -> Decimal:
        return WIDE.divide(
            exact_product(self.unit_price, Decimal(100) - self.discount_percent), Decimal(100)
        )

    @property
    def list_amount(self) -> Decimal:
        """Quantity × unit price before discount, rounded once."""
        return round_money(exact_product(self.quantity, self.unit_price), self.contract.currency)

    @property
    def net_amount(self) -> Decimal:
        return round_money(
            exact_product(self.quantity, self.net_unit_price), self.contract.currency
        )

    def clean(self) -> None:
        from ordermgmt.services.validation import contract_line_errors

        # In an admin inline the parent may be unsaved: read the cached object, not the id.
        contract = self._state.fields_cache.get("contract")
        if contract is None and self.contract_id is not None:
            contract = self.contract
        if not self.currency and contract is not None:
            self.currency = contract.currency
        errors = contract_line_errors(self, contract=contract)
        if errors:
            raise errors[0].as_validation_error()


class RampStep(models.Model):
    """Quantity and unit price of a contract line for one period of a ramp deal."""

    line = models.ForeignKey(ContractLine, on_delete=models.CASCADE, related_name="ramp_steps")
    start_date = models.DateField()
    end_date = models.DateField()
    quantity = quantity_field()
    unit_price = unit_price_field()

    history = HistoricalRecords()

    class Meta:
        ordering = ["line", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="ramp_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="ramp_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="ramp_unit_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.start_date}–{self.end_date}: {_plain(self.quantity)} @ "
            f"{_plain(self.unit_price)}"
        )


def _plain(value: Decimal | None) -> str:
    """A quantity or price without the column's trailing zeros (10, not 10.0000)."""
    if value is None:
        return "—"
    return f"{Decimal(value).normalize():f}"
