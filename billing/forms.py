"""Forms for the billing pages and admin. Each invoice action form calls one billing
service in `perform()`; the pages and the admin share them, so both refuse the same."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.utils import timezone

from billing import services
from billing.models import (
    Invoice,
    InvoiceStatus,
    UsageRecord,
)
from core.amount_input import AmountFormField
from core.errors import DomainValidationError
from ordermgmt.models import ContractLine

# --- Invoice list filters ---------------------------------------------------------------


# --- Invoice actions ----------------------------------------------------------------------


class InvoiceActionForm(forms.Form):
    """Performs one invoice action through its service. A DomainValidationError about a
    field of the form lands on that field; any other is returned for a message."""

    def perform(self, invoice: Invoice, actor) -> object:
        raise NotImplementedError

    def run(self, invoice: Invoice, actor) -> tuple[object | None, str | None]:
        """(result, None) when done, (None, message) when refused."""
        if not self.is_valid():
            return None, None
        try:
            return self.perform(invoice, actor), None
        except DomainValidationError as err:
            if err.field in self.fields:
                self.add_error(err.field, err.message)
                return None, None
            return None, err.message


class IssueInvoiceForm(InvoiceActionForm):
    invoice_date = forms.DateField(
        required=False,
        help_text="Leave empty to keep the invoice date; the due date follows the terms.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def perform(self, invoice, actor):
        return services.issue_invoice(
            invoice=invoice, actor=actor, invoice_date=self.cleaned_data["invoice_date"]
        )


class CreditNoteForm(InvoiceActionForm):
    amount = AmountFormField(
        max_digits=19,
        decimal_places=4,
        help_text="Gross amount, tax included; spread over the lines by what each has left.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def perform(self, invoice, actor):
        return services.issue_credit_note(
            invoice=invoice,
            actor=actor,
            reason=self.cleaned_data["reason"],
            amount=self.cleaned_data["amount"],
        )


class VoidInvoiceForm(InvoiceActionForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def perform(self, invoice, actor):
        return services.void_invoice(
            invoice=invoice, actor=actor, reason=self.cleaned_data["reason"]
        )


class CorrectInvoiceForm(InvoiceActionForm):
    def perform(self, invoice, actor):
        return services.create_corrected_invoice(original=invoice, actor=actor)


class DiscardDraftForm(InvoiceActionForm):
    def perform(self, invoice, actor):
        return services.discard_draft_invoice(invoice=invoice, actor=actor)


class ResendInvoiceForm(InvoiceActionForm):
    def perform(self, invoice, actor):
        from billing.services.resend import resend_invoice

        return resend_invoice(invoice=invoice, actor=actor)


@dataclass(frozen=True)
class InvoiceAction:
    name: str
    label: str
    permission: str
    form_class: type[InvoiceActionForm]
    danger: bool = False

    def applies_to(self, invoice: Invoice) -> bool:
        return APPLIES[self.name](invoice)


def _can_correct(invoice: Invoice) -> bool:
    if invoice.status != InvoiceStatus.VOID or invoice.number is None:
        return False
    return not any(c.status != InvoiceStatus.VOID for c in invoice.corrections.all())


APPLIES = {
    "issue": lambda i: i.status == InvoiceStatus.DRAFT,
    "credit": lambda i: i.status == InvoiceStatus.ISSUED and i.open_amount > 0,
    "void": lambda i: i.status == InvoiceStatus.ISSUED and i.paid_amount == 0,
    "correct": _can_correct,
    "discard": lambda i: i.status == InvoiceStatus.DRAFT,
    "resend": lambda i: i.status == InvoiceStatus.ISSUED,
}

# The same permissions on the invoice page, in the admin and in the API. Creating a
# corrected draft is the first half of re-issuing, so it takes the issuing permission.
INVOICE_ACTIONS: dict[str, InvoiceAction] = {
    a.name: a
    for a in [
        InvoiceAction("issue", "Issue", "billing.issue_invoice", IssueInvoiceForm),
        InvoiceAction("credit", "Credit note", "billing.issue_credit_note", CreditNoteForm),
        InvoiceAction("void", "Void", "billing.void_invoice", VoidInvoiceForm, danger=True),
        InvoiceAction(
            "correct", "Create corrected invoice", "billing.issue_invoice", CorrectInvoiceForm
        ),
        InvoiceAction(
            "discard", "Discard draft", "billing.change_invoice", DiscardDraftForm, danger=True
        ),
        InvoiceAction("resend", "Resend invoice", "billing.issue_invoice", ResendInvoiceForm),
    ]
}


def available_actions(user, invoice: Invoice) -> list[InvoiceAction]:
    return [
        action
        for action in INVOICE_ACTIONS.values()
        if user.has_perm(action.permission) and action.applies_to(invoice)
    ]


def done_message(action: str, invoice: Invoice, result) -> str:
    if action == "issue":
        return f"Issued {result.number}."
    if action == "credit":
        return f"Credit note {result.number} issued on {invoice.number}."
    if action == "void":
        return f"{invoice.number} voided by credit note {result.number}."
    if action == "correct":
        return f"Corrected draft #{result.pk} created in place of {invoice.number}."
    if action == "resend":
        return f"{invoice.number} will be e-mailed again to {', '.join(result.recipients)}."
    if action == "discard":
        return f"Draft #{invoice.pk} discarded; its schedule lines are back to be billed."
    return "Done."


# --- Billing runs ---------------------------------------------------------------------------


class BillingRunForm(forms.Form):
    run_date = forms.DateField(
        label="Bill everything due by",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # The page's two buttons: "preview" (a dry run, nothing is written) or "run".
    mode = forms.ChoiceField(
        choices=[("preview", "Preview"), ("run", "Run billing")], widget=forms.HiddenInput
    )
    confirm_catch_up = forms.BooleanField(
        required=False, label="Bill contracts with more than one period due at once (catch-up)"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"run_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


# --- Usage (admin) ---------------------------------------------------------------------------


class UsageRecordForm(forms.ModelForm):
    # An id box with the admin's lookup of contract lines (paged), not a <select> of every
    # usage line of the book; the queryset only checks the posted id.
    contract_line = forms.ModelChoiceField(
        queryset=ContractLine.objects.filter(product__revenue_type="usage"),
        widget=ForeignKeyRawIdWidget(
            UsageRecord._meta.get_field("contract_line").remote_field, admin.site
        ),
        error_messages={"invalid_choice": "No usage-priced contract line has this id."},
    )

    class Meta:
        model = UsageRecord
        fields = ["contract_line", "usage_date", "quantity", "reference"]

    def validate_unique(self):
        pass  # a repeated reference is the service's call (idempotent, or refused)

    def record(self) -> UsageRecord:
        data = self.cleaned_data
        return services.record_usage(
            contract_line=data["contract_line"],
            usage_date=data["usage_date"],
            quantity=data["quantity"],
            reference=data["reference"],
        )


class ResolveExceptionsForm(forms.Form):
    """The note the admin's "mark resolved" action asks for (resolve_run_exception)."""

    resolution_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was fixed, or why the contract stays unbilled.",
    )
