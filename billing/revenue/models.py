"""Revenue recognition records.

A contract's revenue is built when it is activated (an ON_ACTIVATION hook):

- PerformanceObligation: one per distinct contract line (a product marked "not distinct"
  joins the subscription's obligation), with its recognition pattern and service term and
  its standalone selling price (SSP) fixed at inception (ObligationLine keeps it per line).
- RevenueAllocation (+ AllocationLine): the transaction price spread over the obligations
  by relative SSP. A new version is written at every modification or re-estimate; the old
  ones stay (is_current=False).
- RevenueSchedule (+ RevenueScheduleLine): per obligation, what is recognised in which
  month, by cumulative rounding. Versioned the same way; nothing is ever deleted.
- RevenueContractSettings: the per-contract accounting choices (ratable method, ramp policy,
  the 606-10-32-37 discount exception, variable consideration, amendment inputs).
- ContractModification: how an amendment was accounted for, with the explicit
  `priced_at_ssp` judgement and who made it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField, money_field, quantity_field, unit_price_field
from ordermgmt.models import Contract, ContractLine, Product


class RecognitionPattern(models.TextChoices):
    RATABLE = "ratable", "Ratable over time"
    POINT_IN_TIME = "point_in_time", "Point in time (delivery or acceptance)"
    USAGE = "usage", "Usage, as invoiced"


class RatableMethod(models.TextChoices):
    DAILY = "daily", "Daily, actual/actual (end date inclusive)"
    MONTHLY_EVEN = "monthly_even", "By month, evenly"


class RampPolicy(models.TextChoices):
    STRAIGHT_LINE = "straight_line", "Straight-line over the term"
    AS_INVOICED = "as_invoiced", "As invoiced (each ramp step over its own period)"


class VariableConsiderationMethod(models.TextChoices):
    EXPECTED_VALUE = "expected_value", "Expected value"
    MOST_LIKELY_AMOUNT = "most_likely_amount", "Most likely amount"


class ModificationTreatment(models.TextChoices):
    SEPARATE_CONTRACT = "separate_contract", "Separate contract (606-10-25-12)"
    PROSPECTIVE = "prospective", "Prospective: termination and new contract (25-13a)"
    CUMULATIVE_CATCH_UP = "cumulative_catch_up", "Cumulative catch-up (25-13b)"


class RevenueContractSettings(models.Model):
    """Accounting choices for one contract. Set them before activation: once the revenue
    is built, only the variable consideration estimate changes (by re-estimate)."""

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, related_name="revenue_settings"
    )
    ratable_method = models.CharField(
        max_length=16, choices=RatableMethod.choices, default=RatableMethod.DAILY
    )
    ramp_policy = models.CharField(
        max_length=16, choices=RampPolicy.choices, default=RampPolicy.STRAIGHT_LINE
    )
    discount_exception = models.BooleanField(
        "discount exception (606-10-32-37)",
        default=False,
        help_text="All 32-37 criteria are met: the discount belongs to the lines named below "
        "only, instead of being spread over every obligation by SSP.",
    )
    discount_lines = models.ManyToManyField(
        ContractLine, blank=True, related_name="+", help_text="Lines the discount belongs to."
    )
    variable_consideration_amount = money_field(
        default=Decimal("0"),
        help_text="Estimated variable consideration (constrained); negative for expected "
        "credits or refunds, e.g. SLA credits.",
    )
    variable_consideration_method = models.CharField(
        max_length=20, choices=VariableConsiderationMethod.choices, blank=True
    )
    variable_consideration_line = models.ForeignKey(
        ContractLine,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="606-10-32-40 criteria met: the variable consideration goes entirely to this "
        "line's obligation. Empty: it is allocated by relative SSP like the rest.",
    )
    priced_at_ssp = models.BooleanField(
        null=True,
        blank=True,
        help_text="Amendments: the added goods are priced at their SSP, adjusted for the "
        "circumstances of the contract (a judgement; recorded, never inferred).",
    )
    remaining_goods_distinct = models.BooleanField(
        null=True,
        blank=True,
        help_text="Amendments: the goods or services not yet transferred are distinct from "
        "those already transferred.",
    )
    modification_effective_date = models.DateField(
        null=True, blank=True, help_text="Amendments: empty means the amendment's start date."
    )
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[discount_lines])

    class Meta:
        verbose_name = "revenue settings"
        verbose_name_plural = "revenue settings"

    def __str__(self) -> str:
        return f"Revenue settings of {self.contract.reference}"


class SspRange(models.Model):
    """Observed range of selling prices for a product whose SSP is highly variable or
    uncertain: such a product's obligation takes the residual (606-10-32-34c), which
    must fall inside this range (per unit; per year for subscriptions)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="ssp_ranges")
    currency = CurrencyField()
    minimum = unit_price_field()
    maximum = unit_price_field()
    source = models.CharField(max_length=200, blank=True, help_text="Where the range comes from")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "SSP range (residual approach)"
        verbose_name_plural = "SSP ranges (residual approach)"
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="one_ssp_range"),
            models.CheckConstraint(
                condition=models.Q(minimum__gte=0) & models.Q(maximum__gte=models.F("minimum")),
                name="ssp_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} {self.currency} {self.minimum}–{self.maximum}"


class ContractModification(models.Model):
    """How an amendment was accounted for (ASC 606-10-25-10 to 25-13)."""

    amendment = models.OneToOneField(
        Contract, on_delete=models.PROTECT, related_name="revenue_modification"
    )
    original = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="+")
    treatment = models.CharField(max_length=20, choices=ModificationTreatment.choices)
    priced_at_ssp = models.BooleanField()
    added_goods_distinct = models.BooleanField()
    remaining_goods_distinct = models.BooleanField()
    effective_date = models.DateField()
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_date", "-id"]

    def __str__(self) -> str:
        return f"{self.amendment.reference}: {self.get_treatment_display()}"


class PerformanceObligation(models.Model):
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="performance_obligations",
        help_text="The contract whose lines make this obligation.",
    )
    accounting_contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The contract it is accounted in: an amendment that is not a separate "
        "contract is combined with the contract it amends.",
    )
    number = models.PositiveIntegerField(help_text="1, 2, ... within its contract")
    name = models.CharField(max_length=200)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    pattern = models.CharField(max_length=16, choices=RecognitionPattern.choices)
    ratable_method = models.CharField(max_length=16, choices=RatableMethod.choices, blank=True)
    ramp_policy = models.CharField(max_length=16, choices=RampPolicy.choices, blank=True)
    service_start = models.DateField()
    service_end = models.DateField()
    quantity = quantity_field(default=Decimal("1"), help_text="Units to deliver (point in time)")
    currency = CurrencyField()
    ssp_amount = money_field(help_text="SSP of the whole obligation, fixed at inception")
    residual_ssp = models.BooleanField(
        default=False, help_text="SSP uncertain: estimated by the residual approach"
    )
    ramp_steps = models.JSONField(
        default=list,
        blank=True,
        help_text='Ramp "as invoiced": [["start", "end", "billed amount"], ...]',
    )
    allocated_amount = money_field(
        default=Decimal("0"), help_text="Its transaction price under the current allocation"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["accounting_contract", "contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="one_obligation_number"),
            models.CheckConstraint(
                condition=models.Q(service_end__gte=models.F("service_start")),
                name="obligation_end_not_before_start",
            ),
        ]
        permissions = [
            ("view_revenue_reports", "Can view revenue reports and contract balances"),
            ("export_revenue_reports", "Can export revenue reports and the revenue journal"),
            ("recognise_revenue", "Can build or rebuild a contract's revenue"),
            ("record_delivery", "Can record a delivery or acceptance"),
            ("account_for_modification", "Can account for a contract modification"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} PO{self.number} {self.name}"


class ObligationLine(models.Model):
    """A contract line inside an obligation, with its SSP fixed at inception."""

    obligation = models.ForeignKey(
        PerformanceObligation, on_delete=models.PROTECT, related_name="lines"
    )
    contract_line = models.OneToOneField(
        ContractLine, on_delete=models.PROTECT, related_name="revenue_obligation_line"
    )
    ssp_unit_price = unit_price_field(null=True, blank=True)
    ssp_amount = money_field()
    contract_price = money_field(help_text="What the contract bills for the line (usage aside)")
    combined = models.BooleanField(
        default=False, help_text="Not distinct: combined with the subscription's obligation"
    )

    class Meta:
        ordering = ["obligation", "id"]

    def __str__(self) -> str:
        return f"{self.obligation} ← line {self.contract_line_id}"


class AllocationReason(models.TextChoices):
    INCEPTION = "inception", "Inception"
    PROSPECTIVE = "prospective", "Modification, prospective"
    CATCH_UP = "cumulative_catch_up", "Modification, cumulative catch-up"
    REESTIMATE = "reestimate", "Variable consideration re-estimated"


class AllocationMethod(models.TextChoices):
    RELATIVE_SSP = "relative_ssp", "Relative SSP, discount proportional"
    DISCOUNT_EXCEPTION = "discount_exception", "Relative SSP, discount to named lines (32-37)"
    RESIDUAL = "residual", "Residual approach"


class RevenueAllocation(models.Model):
    """One version of the allocation of a contract's transaction price."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="revenue_allocations"
    )
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    effective_date = models.DateField()
    reason = models.CharField(max_length=24, choices=AllocationReason.choices)
    method = models.CharField(max_length=20, choices=AllocationMethod.choices)
    currency = CurrencyField()
    fixed_consideration = money_field()
    variable_consideration = money_field(default=Decimal("0"))
    transaction_price = money_field(help_text="Fixed + variable consideration, usage aside")
    recognised_before = money_field(
        default=Decimal("0"), help_text="Revenue recognised before the effective date"
    )
    allocated_amount = money_field(help_text="What this version spreads over the obligations")
    modification = models.ForeignKey(
        ContractModification, null=True, blank=True, on_delete=models.PROTECT
    )
    explanation = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "version"], name="one_allocation_version"),
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(is_current=True),
                name="one_current_allocation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} allocation v{self.version}"


class AllocationLine(models.Model):
    allocation = models.ForeignKey(
        RevenueAllocation, on_delete=models.PROTECT, related_name="lines"
    )
    obligation = models.ForeignKey(
        PerformanceObligation, on_delete=models.PROTECT, related_name="allocation_lines"
    )
    ssp_amount = money_field(help_text="The weight used: SSP (of what remains, after a change)")
    contract_price = money_field()
    recognised_before = money_field(default=Decimal("0"))
    allocated_amount = money_field(help_text="Share of this version's allocated amount")
    total_amount = money_field(help_text="Recognised before + allocated: the obligation's total")
    basis = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["allocation", "obligation__number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "obligation"], name="one_allocation_line_per_obligation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.allocation} {self.obligation.name}: {self.allocated_amount}"


class RevenueSchedule(models.Model):
    """One version of an obligation's revenue schedule. Lines before the effective date
    are the same in every version: a change never restates past revenue."""

    obligation = models.ForeignKey(
        PerformanceObligation, on_delete=models.PROTECT, related_name="schedules"
    )
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    effective_date = models.DateField(help_text="Known from this date (as-of reports)")
    reason = models.CharField(max_length=64)
    currency = CurrencyField()
    total_amount = money_field()
    allocation = models.ForeignKey(
        RevenueAllocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # How the lines are made (so that a delivery can redo them on the same basis):
    # inception: cumulative over the whole obligation; prospective: the lines before
    # basis_origin, then (total - recognised_before) over what remains; catch-up: the lines
    # before basis_origin, a catch-up on it, then the new total's cumulative targets.
    basis_mode = models.CharField(max_length=24, default="inception")
    basis_origin = models.DateField(null=True, blank=True)
    recognised_before = money_field(default=Decimal("0"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["obligation", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["obligation", "version"], name="one_schedule_version"),
            models.UniqueConstraint(
                fields=["obligation"],
                condition=models.Q(is_current=True),
                name="one_current_schedule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.obligation} schedule v{self.version}"


class ScheduleLineKind(models.TextChoices):
    RATABLE = "ratable", "Ratable"
    POINT_IN_TIME = "point_in_time", "Delivered"
    CATCH_UP = "catch_up", "Cumulative catch-up"


class RevenueScheduleLine(models.Model):
    """Revenue of one obligation for one period, recognised on `recognition_date` (the
    period's last day: a month is recognised at its end, a delivery on its date)."""

    schedule = models.ForeignKey(RevenueSchedule, on_delete=models.PROTECT, related_name="lines")
    obligation = models.ForeignKey(
        PerformanceObligation, on_delete=models.PROTECT, related_name="+"
    )
    # No index of its own: the (contract, recognition_date) index below serves every
    # look-up by contract, and a second one cost each written line an index insert.
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="Accounting contract",
    )
    kind = models.CharField(max_length=16, choices=ScheduleLineKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    recognition_date = models.DateField()
    currency = CurrencyField()
    amount = money_field()
    cumulative_amount = money_field(help_text="Recognised to date after this line")

    class Meta:
        ordering = ["schedule", "recognition_date", "id"]
        indexes = [models.Index(fields=["contract", "recognition_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="revenue_period_end_not_before_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.obligation} {self.period_start}–{self.period_end}: {self.amount}"


class DeliveryKind(models.TextChoices):
    DELIVERY = "delivery", "Delivered"
    ACCEPTANCE = "acceptance", "Accepted by the customer"


class Delivery(models.Model):
    """Control passed for (some of) a point-in-time obligation's units."""

    obligation = models.ForeignKey(
        PerformanceObligation, on_delete=models.PROTECT, related_name="deliveries"
    )
    kind = models.CharField(max_length=12, choices=DeliveryKind.choices, default="delivery")
    delivered_on = models.DateField()
    quantity = quantity_field()
    reference = models.CharField(max_length=100, unique=True, help_text="Idempotency key")
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["obligation", "delivered_on", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="delivery_positive")
        ]

    def __str__(self) -> str:
        return f"{self.obligation} {self.delivered_on}: {self.quantity}"


class RevenueException(models.Model):
    """Why a contract's revenue could not be built (missing SSP, pending decision...).
    Activation never fails for it: Finance fixes the cause and rebuilds."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=100)
    code = models.CharField(max_length=64)
    message = models.TextField()
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"{self.contract.reference}: {self.code}"


from .models_changes import ChangeOrderRevenue  # noqa: E402, F401  (a model of this app)
from .models_totals import (  # noqa: E402, F401
    BilledRevenueMovement,
    RecognisedRevenueMovement,
    ScheduledRevenueCurrencyMonth,
    ScheduledRevenueMonth,
    ScheduledRevenueTotal,
)
