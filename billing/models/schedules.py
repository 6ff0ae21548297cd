from django.db import models

from core.fields import CurrencyField, money_field, quantity_field, unit_price_field
from core.transitions import StatusMachine
from ordermgmt.models import Contract, ContractLine, RampStep


class ScheduleLineKind(models.TextChoices):
    RECURRING = "recurring", "Recurring subscription"
    ONE_TIME = "one_time", "One-time fee"
    USAGE = "usage", "Usage in arrears"
    INSTALLMENT = "installment", "Custom installment"
    PRORATION_CREDIT = "proration_credit", "Change order credit (unused time, old terms)"
    PRORATION_DEBIT = "proration_debit", "Change order debit (remaining time, new terms)"


class ScheduleLineStatus(models.TextChoices):
    PENDING = "pending", "Not billed"
    BILLED = "billed", "Billed"
    CANCELLED = "cancelled", "Cancelled"


SCHEDULE_LINE_TRANSITIONS = {
    ScheduleLineStatus.PENDING: {ScheduleLineStatus.BILLED, ScheduleLineStatus.CANCELLED},
    ScheduleLineStatus.BILLED: {ScheduleLineStatus.PENDING},  # its draft invoice discarded
    ScheduleLineStatus.CANCELLED: set(),
}


class BillingScheduleLine(StatusMachine, models.Model):
    """One amount to bill on one date, for one contract line and service period."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="schedule_lines")
    contract_line = models.ForeignKey(
        ContractLine, on_delete=models.PROTECT, related_name="schedule_lines"
    )
    ramp_step = models.ForeignKey(RampStep, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=ScheduleLineKind.choices)
    sequence = models.PositiveIntegerField(help_text="Order within its contract line")
    period_start = models.DateField()
    period_end = models.DateField()
    billing_date = models.DateField(db_index=True)
    currency = CurrencyField()
    quantity = quantity_field()
    unit_price = unit_price_field(help_text="Net of discount; per year for subscriptions")
    amount = money_field(null=True, blank=True, help_text="Empty for usage until billed")
    day_count_convention = models.CharField(max_length=16)
    explanation = models.JSONField(default=dict, help_text="Where the amount comes from")
    status = models.CharField(
        max_length=12, choices=ScheduleLineStatus.choices, default=ScheduleLineStatus.PENDING
    )
    # The invoice line that bills it now; one at a time, so nothing is billed twice.
    invoice_line = models.OneToOneField(
        "billing.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="billed_schedule_line",
    )
    change_order = models.ForeignKey(
        "ordermgmt.ContractChange",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedule_lines",
        help_text="The change order that made this credit or debit, or re-planned this line.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    transitions = SCHEDULE_LINE_TRANSITIONS
    status_noun = "A schedule line"

    class Meta:
        ordering = ["contract", "billing_date", "contract_line", "sequence"]
        indexes = [models.Index(fields=["status", "billing_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["contract_line", "kind", "sequence"], name="one_schedule_line_per_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="schedule_period_end_not_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.period_start}–{self.period_end} {self.amount}"


class UsageRecord(models.Model):
    """Usage reported for a usage-priced contract line; billed in arrears."""

    contract_line = models.ForeignKey(
        ContractLine, on_delete=models.PROTECT, related_name="usage_records"
    )
    usage_date = models.DateField()
    quantity = quantity_field()
    reference = models.CharField(max_length=100, unique=True, help_text="Idempotency key")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="usage_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.usage_date}: {self.quantity}"
