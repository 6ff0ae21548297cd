"""Bank statements, their transactions, and the matches proposed for incoming credits.

A bank transaction is unique by (bank account, bank reference): importing the same file
twice, or two overlapping statements, records each transaction once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from billing.models import Invoice, Payment
from core.fields import CurrencyField, money_field
from core.transitions import StatusMachine
from ordermgmt.models import Account


class BankStatement(models.Model):
    bank_account = models.CharField(max_length=64, help_text="Our account (IBAN) at the bank")
    statement_id = models.CharField(max_length=140)
    message_id = models.CharField(max_length=140, blank=True)
    file_format = models.CharField(max_length=16, default="camt053")
    currency = CurrencyField()
    opening_balance = money_field(null=True, blank=True)
    closing_balance = money_field(null=True, blank=True)
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "statement_id"], name="bank_statement_once"
            )
        ]
        permissions = [("import_statement", "Can import bank statement files")]

    def __str__(self) -> str:
        return f"Statement {self.statement_id} of {self.bank_account}"


class Direction(models.TextChoices):
    CREDIT = "credit", "Money in"
    DEBIT = "debit", "Money out"


class MatchStatus(models.TextChoices):
    OPEN = "open", "To match"
    MATCHED = "matched", "Applied to invoices"
    UNAPPLIED = "unapplied", "Recorded as unapplied cash"
    IGNORED = "ignored", "Not customer cash"


# A bank line is matched once; a mistake is corrected on the payment, not here.
MATCH_TRANSITIONS = {
    MatchStatus.OPEN: {MatchStatus.MATCHED, MatchStatus.UNAPPLIED, MatchStatus.IGNORED},
    MatchStatus.MATCHED: set(),
    MatchStatus.UNAPPLIED: set(),
    MatchStatus.IGNORED: set(),
}


class BankTransaction(StatusMachine, models.Model):
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="transactions"
    )
    bank_account = models.CharField(max_length=64)
    bank_reference = models.CharField(max_length=140)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    amount = money_field()
    currency = CurrencyField()
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    payer_account = models.CharField(max_length=64, blank=True)
    remittance_text = models.CharField(max_length=500, blank=True)
    end_to_end_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=MatchStatus.choices, default="open")
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bank_transactions",
        help_text="The customer the cash came from, once known",
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_transaction"
    )
    auto_applied = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    transitions = MATCH_TRANSITIONS
    status_noun = "A bank transaction"

    class Meta:
        ordering = ["booking_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "bank_reference"], name="bank_transaction_once"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bank_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "direction"])]
        permissions = [("match_bank_transaction", "Can match bank transactions to invoices")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.amount} {self.currency} {self.bank_reference}"


class MatchRule(models.TextChoices):
    REFERENCE = "reference", "Invoice number in the remittance text"
    EXACT_AMOUNT = "exact_amount", "One open invoice of this amount"
    COMBINATION = "combination", "Several open invoices adding up to the amount"
    PAYER = "payer", "Payer recognised; amount fits no invoice set"


class MatchSuggestion(models.Model):
    """A proposed application of a credit: to whom, to which invoices, why, how sure."""

    transaction = models.ForeignKey(
        BankTransaction, on_delete=models.CASCADE, related_name="suggestions"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=16, choices=MatchRule.choices)
    confidence = models.DecimalField(max_digits=3, decimal_places=2)
    reason = models.CharField(max_length=300)
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["transaction", "rank"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0) & models.Q(confidence__lte=1),
                name="bank_confidence_0_to_1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.confidence} for {self.transaction_id}"


class SuggestedAllocation(models.Model):
    suggestion = models.ForeignKey(
        MatchSuggestion, on_delete=models.CASCADE, related_name="allocations"
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    amount = money_field()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.amount} to {self.invoice_id}"


class PayerAccount(models.Model):
    """A payer's bank account known to belong to a customer: learnt when finance confirms
    a match, so the next payment from it is recognised."""

    payer_account = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payer_accounts")
    learnt_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.payer_account} -> {self.account_id}"
