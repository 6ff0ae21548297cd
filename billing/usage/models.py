"""Rate cards, usage (raw events, daily rollups, batches) and the commitment/credit ledger.

Raw events live in `usage_event`, created by migration 0002 as a table partitioned by month
on PostgreSQL (a plain table on SQLite), so the model is unmanaged. Billing never reads raw
events: it reads `DailyUsage`, which ingestion keeps up to date in the same transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField, money_field, quantity_field, unit_price_field
from ordermgmt.models import Account, Contract, ContractLine


class PricingModel(models.TextChoices):
    PER_UNIT = "per_unit", "Per unit"
    GRADUATED = "graduated", "Tiered (graduated)"
    VOLUME = "volume", "Volume"
    PACKAGE = "package", "Package"


class UsagePrice(models.Model):
    """How one metric is priced on one usage line of a contract from `starts_on` (until
    `ends_on`, inclusive, or the end of the term). A later row for the same metric is a ramp.

    Tiers are `[{"up_to": "1000", "unit_price": "0.10", "flat_amount": "0"}, ...,
    {"up_to": null, ...}]`: ascending bounds, the last open-ended. Prices are in the
    contract's currency."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="usage_prices")
    contract_line = models.ForeignKey(
        ContractLine, on_delete=models.PROTECT, related_name="usage_prices"
    )
    metric = models.SlugField(max_length=64)
    pricing_model = models.CharField(max_length=12, choices=PricingModel.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    currency = CurrencyField()
    unit_price = unit_price_field(default=Decimal(0), help_text="Per unit, or per package")
    package_size = quantity_field(null=True, blank=True)
    tiers = models.JSONField(default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "metric", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "metric", "starts_on"], name="one_usage_price_per_start"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="usage_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} from {self.starts_on} ({self.get_pricing_model_display()})"


class UsageBatch(models.Model):
    """One call of the ingestion path (API request or command file) and its report."""

    source = models.CharField(max_length=20)
    received_at = models.DateTimeField(auto_now_add=True)
    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=list, help_text="[{line, event_id, field, code}]")
    refused = models.BooleanField(
        default=False, help_text="Nothing written: the batch had rejected events"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    def __str__(self) -> str:
        return f"Usage batch {self.pk}: {self.accepted} accepted, {self.rejected} rejected"


class UsageEvent(models.Model):
    """A raw usage event (read-only here; written in bulk by the ingestion service)."""

    event_id = models.CharField(max_length=128, primary_key=True)
    occurred_at = models.DateTimeField()
    usage_date = models.DateField()
    contract = models.ForeignKey(Contract, on_delete=models.DO_NOTHING, db_constraint=False)
    metric = models.CharField(max_length=64)
    quantity = models.DecimalField(max_digits=24, decimal_places=6)
    batch = models.ForeignKey(UsageBatch, on_delete=models.DO_NOTHING, db_constraint=False)
    usage_month = models.DateField(help_text="Partition key; event ids are unique per month")

    class Meta:
        managed = False
        db_table = "usage_event"

    def __str__(self) -> str:
        return self.event_id


class DailyUsage(models.Model):
    """Usage per contract, metric and UTC day: what billing runs read. `billed_quantity` is
    what an invoice has charged for the day; more than that is late usage, billed as an
    adjustment on the next invoice."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="daily_usage")
    metric = models.CharField(max_length=64)
    usage_date = models.DateField()
    quantity = models.DecimalField(max_digits=24, decimal_places=6, default=Decimal(0))
    events = models.PositiveIntegerField(default=0)
    billed_quantity = models.DecimalField(max_digits=24, decimal_places=6, default=Decimal(0))

    class Meta:
        ordering = ["contract", "metric", "usage_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "metric", "usage_date"], name="one_rollup_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.usage_date}: {self.quantity}"


class CommitmentKind(models.TextChoices):
    PREPAID_COMMIT = "prepaid_commit", "Prepaid commitment"
    POSTPAID_COMMIT = "postpaid_commit", "Postpaid minimum commitment"
    PREPAID_CREDIT = "prepaid_credit", "Prepaid credit"
    PROMOTIONAL_CREDIT = "promotional_credit", "Promotional credit"


class PaymentPlan(models.TextChoices):
    UP_FRONT = "up_front", "Paid up front"
    INSTALLMENTS = "installments", "Paid in installments"
    IN_ARREARS = "in_arrears", "Invoiced in arrears (postpaid)"
    FREE = "free", "Granted free"


DEFAULT_PRIORITY = {
    CommitmentKind.PROMOTIONAL_CREDIT: 10,
    CommitmentKind.PREPAID_CREDIT: 20,
    CommitmentKind.PREPAID_COMMIT: 30,
    CommitmentKind.POSTPAID_COMMIT: 40,
}


class Commitment(models.Model):
    """A minimum spend commitment or a credit grant on a contract. Its balance is the sum
    of its ledger entries; nothing here holds a running balance."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="commitments")
    kind = models.CharField(max_length=20, choices=CommitmentKind.choices)
    payment_plan = models.CharField(max_length=12, choices=PaymentPlan.choices)
    name = models.CharField(max_length=120)
    amount = money_field()
    currency = CurrencyField()
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="Last day usage can draw on it (inclusive)")
    priority = models.PositiveSmallIntegerField(help_text="Lower draws first")
    overage_percent = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal(100),
        help_text="Usage beyond the commitment is billed at this % of the contracted rate",
    )
    rollover = models.BooleanField(
        default=False, help_text="Unused balance moves to a commitment for the next period"
    )
    rolled_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="rolled_into"
    )
    alert_thresholds = models.JSONField(default=list, help_text="Percent used, e.g. [80, 100]")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "priority", "ends_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="commitment_positive"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="commitment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def is_credit(self) -> bool:
        return self.kind in (CommitmentKind.PREPAID_CREDIT, CommitmentKind.PROMOTIONAL_CREDIT)

    @property
    def is_prepaid(self) -> bool:
        return self.kind != CommitmentKind.POSTPAID_COMMIT


class CommitmentInstallment(models.Model):
    """One scheduled payment of a commitment paid in installments. Usage draws on the whole
    commitment from its start (as Metronome and Orb do); the installments are only how it
    is invoiced: each on the first usage invoice of a run on or after `due_on`, a contract
    liability until usage draws it down (ahead of the installments: a contract asset)."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="installments"
    )
    number = models.PositiveSmallIntegerField(help_text="1 for the first")
    due_on = models.DateField()
    amount = money_field()
    currency = CurrencyField()
    invoice_line = models.OneToOneField(
        "billing.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_installment",
    )

    class Meta:
        ordering = ["commitment", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "number"], name="one_installment_per_number"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="installment_positive"),
        ]

    def __str__(self) -> str:
        return f"Installment {self.number} of {self.commitment}: {self.amount} {self.currency}"


class EntryKind(models.TextChoices):
    GRANT = "grant", "Granted"
    DRAWDOWN = "drawdown", "Drawn down by usage"
    EXPIRY = "expiry", "Expired unused"
    TRUE_UP = "true_up", "Trued up (unused minimum invoiced)"
    ROLLOVER_OUT = "rollover_out", "Rolled over to the next period"
    ROLLOVER_IN = "rollover_in", "Rolled over from the previous period"


class LedgerEntry(models.Model):
    """One movement of a commitment's balance: grants add, everything else subtracts.
    Entries are never edited; the balance as of a date is the sum up to that date."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=14, choices=EntryKind.choices)
    effective_date = models.DateField()
    amount = money_field(help_text="Signed: + grant/rollover in, - drawdown/expiry/true-up")
    currency = CurrencyField()
    invoice_line = models.ForeignKey(
        "billing.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_ledger_entries",
    )
    explanation = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["commitment", "effective_date", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["grant", "rollover_in"], amount__gt=0)
                    | (~models.Q(kind__in=["grant", "rollover_in"]) & models.Q(amount__lte=0))
                ),
                name="ledger_entry_sign_by_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} on {self.effective_date}"


class BalanceAlert(models.Model):
    """A threshold alert sent for a commitment: unique, so a re-run sends nothing twice."""

    commitment = models.ForeignKey(Commitment, on_delete=models.PROTECT, related_name="alerts")
    threshold = models.PositiveSmallIntegerField()
    percent_used = models.DecimalField(max_digits=7, decimal_places=2)
    sent_at = models.DateTimeField(auto_now_add=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="usage_alerts")
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "threshold"], name="one_alert_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commitment}: {self.threshold}% used"
