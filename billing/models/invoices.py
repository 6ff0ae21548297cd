from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from billing.error_codes import BillingError
from core.errors import DomainValidationError
from core.fields import CurrencyField, money_field, quantity_field, unit_price_field
from core.transitions import StatusMachine
from ordermgmt.models import Account, Contract, ContractLine

from .entities import LegalEntity, TaxRate, VatCategory


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"


INVOICE_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.ISSUED, InvoiceStatus.VOID},
    InvoiceStatus.ISSUED: {InvoiceStatus.VOID},  # paid is settlement, not status
    InvoiceStatus.VOID: set(),
}


class SettlementStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"


# What may still change once an invoice is issued: its settlement, its voiding, and the
# records of what was done with the frozen document (PDF, delivery, Stripe ids).
MUTABLE_AFTER_ISSUE = {
    "status",
    "settlement_status",
    "credited_amount",
    "paid_amount",
    "pdf",
    "pdf_sha256",
    "stripe_invoice_id",
    "stripe_customer_id",
    "voided_at",
    "updated_at",
    "billing_run_id",
}


# An issued invoice's open balance in SQL: the same sum as Invoice.open_amount (a void
# invoice has none; filter or Case on the status where voids can appear).
OPEN_AMOUNT = models.ExpressionWrapper(
    models.F("total_amount") - models.F("credited_amount") - models.F("paid_amount"),
    output_field=models.DecimalField(max_digits=19, decimal_places=4),
)


class InvoiceSource(models.TextChoices):
    BILLING = "billing", "Billed here"
    IMPORT = "import", "Imported open AR"


class Invoice(StatusMachine, models.Model):
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="invoices")
    contract = models.ForeignKey(
        Contract,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
        db_index=False,  # invoice_contract_order starts with it
    )
    billing_run = models.ForeignKey(
        "billing.BillingRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invoices",
    )
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text="The voided invoice this one corrects.",
    )
    source = models.CharField(
        max_length=8,
        choices=InvoiceSource.choices,
        default=InvoiceSource.BILLING,
        help_text="Imported invoices keep the number of the system they came from.",
    )
    status = models.CharField(max_length=8, choices=InvoiceStatus.choices, default="draft")
    settlement_status = models.CharField(
        max_length=16, choices=SettlementStatus.choices, default=SettlementStatus.UNPAID
    )
    number = models.CharField(max_length=40, null=True, blank=True)
    currency = CurrencyField()
    invoice_date = models.DateField()
    due_date = models.DateField()
    payment_terms = models.CharField(max_length=12)
    po_number = models.CharField("PO number", max_length=64, blank=True)
    # The buyer as it stood when the invoice was made: the document must not change later.
    buyer_name = models.CharField(max_length=200)
    buyer_address = models.TextField(blank=True)
    buyer_tax_id = models.CharField(max_length=50, blank=True)
    # Structured buyer (address fields, VAT/company ids, references) as at issue, for
    # e-invoices; empty on invoices issued before it existed (the account is used).
    buyer_party = models.JSONField(default=dict, blank=True)
    tax_exempt = models.BooleanField(default=False)
    tax_rounding = models.CharField(max_length=8, default="line")
    # Lines' gross (amount + tax) are the contract's tax-inclusive prices; tax_rounding
    # then names the rule that split net and tax from them (billing.services.tax).
    prices_include_tax = models.BooleanField(default=False)
    subtotal_amount = money_field(default=Decimal("0"))
    tax_amount = money_field(default=Decimal("0"))
    total_amount = money_field(default=Decimal("0"))
    credited_amount = money_field(default=Decimal("0"))
    paid_amount = money_field(default=Decimal("0"))
    issued_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to="invoices/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    stripe_customer_id = models.CharField(max_length=64, blank=True)
    stripe_invoice_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    transitions = INVOICE_TRANSITIONS
    status_noun = "An invoice"

    class Meta:
        ordering = ["-invoice_date", "-id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["account", "status"]),
            # The list's default order and its usual filters, newest first (issue 20).
            models.Index(fields=["-invoice_date", "-id"], name="invoice_list_order"),
            models.Index(fields=["status", "-invoice_date"], name="invoice_status_date"),
            models.Index(fields=["account", "-invoice_date"], name="invoice_account_date"),
            models.Index(fields=["currency", "-invoice_date"], name="invoice_currency_date"),
            # The list's other sorts (billing.filters.InvoiceFilter): without them a sort by
            # number or due date orders the whole table for one page.
            models.Index(fields=["number"], name="invoice_number_order"),
            models.Index(fields=["due_date"], name="invoice_due_date_order"),
            # Sorts by a column of few values, ties broken by id in the same direction
            # (core.ordering): one index serves both directions.
            models.Index(fields=["status", "id"], name="invoice_status_order"),
            models.Index(fields=["settlement_status", "id"], name="invoice_settlement_order"),
            models.Index(fields=["contract", "id"], name="invoice_contract_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "number"], name="invoice_number_unique_per_entity"
            ),
            models.CheckConstraint(
                condition=models.Q(number__isnull=True) | models.Q(status__in=["issued", "void"]),
                name="number_only_when_issued",
            ),
            models.CheckConstraint(
                condition=models.Q(credited_amount__gte=0) & models.Q(paid_amount__gte=0),
                name="settlement_not_negative",
            ),
        ]
        permissions = [
            ("issue_invoice", "Can issue an invoice"),
            ("void_invoice", "Can void an invoice"),
            ("run_billing", "Can run billing"),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice #{self.pk}"

    def save(self, *args, **kwargs):
        # An issued invoice is immutable: only settlement and voiding may change it.
        # (PostgreSQL enforces the same with a trigger, against bulk updates too.)
        loaded = getattr(self, "_loaded", None)
        if loaded and loaded["status"] != InvoiceStatus.DRAFT:
            changed = [
                name
                for name, value in loaded.items()
                if name not in MUTABLE_AFTER_ISSUE and getattr(self, name) != value
            ]
            if changed:
                raise DomainValidationError(
                    field=changed[0],
                    code=BillingError.INVOICE_IMMUTABLE,
                    message=(
                        f"Invoice {loaded['number']} is issued and cannot be changed "
                        f"({', '.join(changed)}); issue a credit note instead."
                    ),
                )
        if loaded and self.status != loaded["status"] and not self.moved_by_transition():
            raise DomainValidationError(
                field="status",
                code=BillingError.ILLEGAL_TRANSITION,
                message="An invoice's status changes only through the billing services.",
            )
        super().save(*args, **kwargs)
        self._loaded = self._snapshot()
        self.transition_saved()

    def delete(self, *args, **kwargs):
        if self.status != InvoiceStatus.DRAFT:
            raise DomainValidationError(
                field="status",
                code=BillingError.INVOICE_IMMUTABLE,
                message="An issued invoice cannot be deleted; void it with a credit note.",
            )
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = instance._snapshot()
        return instance

    def _snapshot(self) -> dict:
        return {
            f.attname: getattr(self, f.attname)
            for f in self._meta.concrete_fields
            if f.attname in self.__dict__
        }

    @property
    def open_amount(self) -> Decimal:
        if self.status == InvoiceStatus.VOID:
            return Decimal("0")
        return self.total_amount - self.credited_amount - self.paid_amount

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    schedule_line = models.ForeignKey(
        "billing.BillingScheduleLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    contract_line = models.ForeignKey(
        ContractLine, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    description = models.CharField(max_length=300)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    quantity = quantity_field()
    unit_price = unit_price_field()
    discount_percent = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))
    amount = money_field(help_text="Net of discount, rounded once")
    tax_rate = models.ForeignKey(TaxRate, null=True, blank=True, on_delete=models.PROTECT)
    tax_percent = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal("0"))
    tax_amount = money_field(default=Decimal("0"))
    # EN 16931 VAT category (S, Z, E, AE, K, G, O); empty on lines made before it
    # existed or by code that does not set it: issue fills it from the rate and account.
    vat_category = models.CharField(max_length=2, blank=True, choices=VatCategory.choices)
    vat_exemption_reason = models.CharField(max_length=200, blank=True)
    vat_exemption_reason_code = models.CharField(max_length=30, blank=True)
    explanation = models.JSONField(default=dict)

    class Meta:
        ordering = ["invoice", "position", "id"]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs):
        self._refuse_if_issued()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_issued()
        return super().delete(*args, **kwargs)

    def _refuse_if_issued(self) -> None:
        status = Invoice.objects.filter(pk=self.invoice_id).values_list("status", flat=True).first()
        if status and status != InvoiceStatus.DRAFT:
            raise DomainValidationError(
                field="lines",
                code=BillingError.INVOICE_IMMUTABLE,
                message="Lines of an issued invoice cannot change; issue a credit note instead.",
            )


class InvoiceDelivery(models.Model):
    """The one e-mail of an invoice to its billing contacts."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="delivery")
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField()
    message_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "invoice deliveries"

    def __str__(self) -> str:
        return f"{self.invoice} sent {self.sent_at:%Y-%m-%d %H:%M}"


class InvoiceResend(models.Model):
    """An invoice e-mailed again on request: who asked, when, and when it went out."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="resends")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.invoice} resent {self.requested_at:%Y-%m-%d %H:%M}"


class CreditNote(models.Model):
    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=40)
    currency = CurrencyField()
    credit_date = models.DateField()
    reason = models.TextField()
    subtotal_amount = money_field()
    tax_amount = money_field()
    total_amount = money_field()
    is_void_of_invoice = models.BooleanField(default=False)
    # The part of the credit its invoice had no open balance for (it was paid already):
    # fixed at issue, it stays on the account as credit until applied elsewhere or refunded.
    on_account_amount = money_field(default=Decimal("0"))
    applied_amount = money_field(default=Decimal("0"))  # of on_account, to other invoices
    refunded_amount = money_field(default=Decimal("0"))  # of on_account, paid back
    pdf = models.FileField(upload_to="credit_notes/", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-credit_date", "-id"]
        indexes = [
            models.Index(fields=["-credit_date", "-id"], name="creditnote_list_order"),
            # The currency filter's choices (a loose index scan, core.filters) and a
            # list filtered by currency, as for invoices and payments.
            models.Index(fields=["currency", "-credit_date"], name="creditnote_currency_date"),
            models.Index(fields=["number"], name="creditnote_number_order"),  # admin sort
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "number"], name="credit_note_number_unique_per_entity"
            ),
            models.CheckConstraint(
                condition=models.Q(total_amount__gt=0), name="credit_note_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(on_account_amount__gte=0)
                & models.Q(on_account_amount__lte=models.F("total_amount"))
                & models.Q(applied_amount__gte=0)
                & models.Q(refunded_amount__gte=0)
                & models.Q(
                    on_account_amount__gte=models.F("applied_amount") + models.F("refunded_amount")
                ),
                name="credit_note_never_over_applied",
            ),
        ]
        permissions = [("issue_credit_note", "Can issue a credit note")]

    def __str__(self) -> str:
        return self.number

    @property
    def applied_to_invoice_amount(self) -> Decimal:
        """What this note took off its own invoice's open balance."""
        return self.total_amount - self.on_account_amount

    @property
    def unapplied_amount(self) -> Decimal:
        """Credit still on the account, to apply to another invoice or refund."""
        return self.on_account_amount - self.applied_amount - self.refunded_amount


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_lines"
    )
    description = models.CharField(max_length=300)
    amount = money_field()
    tax_amount = money_field(default=Decimal("0"))

    def __str__(self) -> str:
        return self.description
