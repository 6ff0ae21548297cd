"""Deal desk: the rules that flag non-standard terms, and the reviews they open.

A rule is a row an Admin edits in the console (threshold, allowed values, severity,
SLA, approvals needed); what it checks is one of a fixed set of evaluators in code
(`ordermgmt.dealdesk.rules`). Each submission of a contract is evaluated and leaves a
review: auto-approved when nothing flags, otherwise open until deal desk decides.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField, money_field
from core.money import is_known_currency
from core.transitions import StatusMachine

from .contracts import BillingFrequency, Contract


class RuleType(models.TextChoices):
    PAYMENT_TERMS = "payment_terms", "Payment terms longer than policy"
    LINE_DISCOUNT = "line_discount", "Line discount above policy"
    TOTAL_DISCOUNT = "total_discount", "Total discount above policy"
    RAMP = "ramp", "Ramp deal"
    BILLING_FREQUENCY = "billing_frequency", "Non-standard billing frequency"
    BILLING_ARREARS = "billing_arrears", "Billing in arrears"
    TERM_LENGTH = "term_length", "Term longer than policy"
    CURRENCY = "currency", "Non-standard currency"
    PRICE_FLOOR = "price_floor", "Price below floor or no list price"
    AUTO_RENEWAL = "auto_renewal", "Auto-renewal clause"
    TERMINATION_FOR_CONVENIENCE = "termination_for_convenience", "Termination for convenience"
    CONTRACT_VALUE = "contract_value", "Contract value above threshold"


# What `threshold` means for each rule type; types not listed take no threshold.
THRESHOLD_UNITS: dict[str, str] = {
    RuleType.PAYMENT_TERMS: "days to due",
    RuleType.LINE_DISCOUNT: "percent",
    RuleType.TOTAL_DISCOUNT: "percent",
    RuleType.TERM_LENGTH: "years",
    RuleType.CONTRACT_VALUE: "amount",
}
ALLOWED_VALUE_TYPES = {RuleType.BILLING_FREQUENCY, RuleType.CURRENCY}


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


def default_sla_hours() -> int:
    return int(getattr(settings, "LEDGERLINE_DEALDESK_SLA_HOURS", 48))


class DealDeskRule(models.Model):
    name = models.CharField(max_length=120, unique=True)
    rule_type = models.CharField(max_length=32, choices=RuleType.choices)
    description = models.TextField(blank=True, help_text="The policy in words, for reviewers.")
    active = models.BooleanField(default=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    threshold = models.DecimalField(
        max_digits=19,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Payment terms: days to due. Discounts: percent. Term: years. "
        "Contract value: amount in the threshold currency.",
    )
    threshold_currency = CurrencyField(
        blank=True, default="", help_text="Contract value only: currency of the threshold."
    )
    allowed_values = models.CharField(
        max_length=200,
        blank=True,
        help_text="Comma-separated. Billing frequency: e.g. annual,quarterly. "
        "Currency: e.g. USD,EUR (empty: LEDGERLINE_STANDARD_CURRENCIES).",
    )
    fx_rates = models.JSONField(
        default=dict,
        blank=True,
        help_text='Contract value only: {"EUR": "1.08"} = one EUR in the threshold currency.',
    )
    required_approvals = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Distinct deal desk approvers a contract flagged by this rule needs.",
    )
    sla_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hours to decide; empty: the default (48 hours)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["rule_type", "name"]
        verbose_name = "deal desk rule"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(required_approvals__gte=1), name="rule_needs_an_approver"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def allowed_list(self) -> list[str]:
        values = [v.strip() for v in self.allowed_values.split(",") if v.strip()]
        if not values and self.rule_type == RuleType.CURRENCY:
            return list(settings.LEDGERLINE_STANDARD_CURRENCIES)
        return values

    @property
    def parameters_label(self) -> str:
        unit = THRESHOLD_UNITS.get(self.rule_type)
        if unit and self.threshold is not None:
            value = f"{self.threshold.normalize():f}"
            if self.rule_type == RuleType.CONTRACT_VALUE:
                return f"above {self.threshold_currency} {self.threshold:,.0f}"
            return f"above {value} {unit}"
        if self.rule_type in ALLOWED_VALUE_TYPES:
            return "outside " + ", ".join(self.allowed_list)
        return "when present"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        unit = THRESHOLD_UNITS.get(self.rule_type)
        if unit and self.threshold is None:
            errors["threshold"] = f"This rule type needs a threshold ({unit})."
        elif self.threshold is not None and self.threshold < 0:
            errors["threshold"] = "The threshold cannot be negative."
        elif unit == "percent" and self.threshold > 100:
            errors["threshold"] = "A percent threshold is between 0 and 100."
        if self.rule_type == RuleType.CONTRACT_VALUE:
            if not self.threshold_currency:
                errors["threshold_currency"] = "Name the currency of the threshold."
            errors.update(self._fx_rate_errors())
        if self.rule_type == RuleType.BILLING_FREQUENCY:
            if not self.allowed_list:
                errors["allowed_values"] = "List the allowed billing frequencies."
            unknown = [v for v in self.allowed_list if v not in BillingFrequency.values]
            if unknown:
                errors["allowed_values"] = (
                    f"Unknown billing frequency {', '.join(unknown)}; use "
                    f"{', '.join(BillingFrequency.values)}."
                )
        if self.rule_type == RuleType.CURRENCY:
            unknown = [v for v in self.allowed_list if not is_known_currency(v)]
            if unknown:
                errors["allowed_values"] = f"{', '.join(unknown)}: not ISO 4217 currency codes."
        if errors:
            raise ValidationError(errors)

    def _fx_rate_errors(self) -> dict[str, str]:
        if not isinstance(self.fx_rates, dict):
            return {"fx_rates": 'Give rates as {"EUR": "1.08", ...}.'}
        for code, rate in self.fx_rates.items():
            try:
                valid = is_known_currency(code) and Decimal(str(rate)) > 0
            except ArithmeticError:
                valid = False
            if not valid:
                return {"fx_rates": f"{code}: {rate!r} is not a currency with a positive rate."}
        return {}


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    AUTO_APPROVED = "auto_approved", "Auto-approved (nothing flagged)"
    SUPERSEDED = "superseded", "Superseded by a change"
    WITHDRAWN = "withdrawn", "Withdrawn (contract cancelled)"


DECIDED_STATUSES = [ReviewStatus.APPROVED, ReviewStatus.REJECTED]

# A review is opened (or auto-approved) when created, and closed once.
REVIEW_TRANSITIONS = {
    ReviewStatus.OPEN: {
        ReviewStatus.APPROVED,
        ReviewStatus.REJECTED,
        ReviewStatus.SUPERSEDED,
        ReviewStatus.WITHDRAWN,
    },
}


class ReviewTrigger(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    CHANGED = "changed", "Flagged term changed"
    BACKFILL = "backfill", "Pending before deal desk rules"


class DealDeskReview(StatusMachine, models.Model):
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="deal_desk_reviews"
    )
    status = models.CharField(max_length=16, choices=ReviewStatus.choices)
    trigger = models.CharField(
        max_length=12, choices=ReviewTrigger.choices, default=ReviewTrigger.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who submitted or changed the contract; they cannot approve it.",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    # The contract's value when the review opened, for the queue's filters and sorting.
    currency = CurrencyField()
    tcv_amount = money_field(default=Decimal("0"))
    acv_amount = money_field(default=Decimal("0"))

    history = HistoricalRecords()

    transitions = REVIEW_TRANSITIONS
    status_noun = "A deal desk review"

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = "deal desk review"
        indexes = [models.Index(fields=["status", "sla_due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(status="open"),
                name="one_open_review_per_contract",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk} of {self.contract.reference}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("dealdesk:review", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN

    def is_overdue(self, now=None) -> bool:
        now = now or timezone.now()
        return self.is_open and self.sla_due_at is not None and now > self.sla_due_at


class DealDeskFlag(models.Model):
    """One non-standard term a rule found, with its reason in words and figures."""

    review = models.ForeignKey(DealDeskReview, on_delete=models.CASCADE, related_name="flags")
    rule = models.ForeignKey(
        DealDeskRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    rule_type = models.CharField(max_length=32, choices=RuleType.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    line_number = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField()
    consequence = models.TextField(blank=True)
    figures = models.JSONField(default=dict, blank=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["review", "id"]
        verbose_name = "deal desk flag"
        indexes = [models.Index(fields=["rule_type"])]

    def __str__(self) -> str:
        return self.reason

    @property
    def rule_type_label(self) -> str:
        return self.get_rule_type_display()


class DecisionKind(models.TextChoices):
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"
    COMMENT = "comment", "Commented"


class DealDeskDecision(models.Model):
    """Append-only: each approval, rejection and comment on a review, with who and when."""

    review = models.ForeignKey(DealDeskReview, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=8, choices=DecisionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deal_desk_decisions",
    )
    comment = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["review", "created_at", "id"]
        verbose_name = "deal desk decision"
        constraints = [
            # The same person never counts twice towards the approvals a review needs.
            models.UniqueConstraint(
                fields=["review", "actor"],
                condition=models.Q(kind="approve"),
                name="one_approval_per_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor or 'system'}"
