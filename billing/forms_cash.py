"""Forms of the cash pages. Each performs one move through its service: record a payment;
apply a payment's cash or a credit note's credit on account to invoices; reverse an
application; refund. A DomainValidationError about a field of the form is attached to
that field; any other goes to the top of the form. Nothing is saved when one is raised:
each service is one transaction."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from billing import services
from billing.error_codes import BillingError
from billing.models import CreditApplication, CreditNote, Payment, PaymentApplication, PaymentMethod
from billing.selectors.cash import OpenInvoiceRow
from core.amount_input import AmountFormField
from core.errors import DomainValidationError
from core.money import currency_choices
from ordermgmt.models import Account


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def _amount_input(**attrs) -> forms.TextInput:
    # Text, not number: the service's own message (too many decimals, over the open
    # balance) is what the user should read, not the browser's step check.
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


class CashForm(forms.Form):
    """Performs one cash move through its service. A DomainValidationError about a field
    of the form is attached to that field; any other goes to the top of the form."""

    def perform(self, actor) -> object:
        raise NotImplementedError

    def field_for(self, err: DomainValidationError) -> str | None:
        return err.field if err.field in self.fields else None

    def run(self, actor) -> object | None:
        """The service's result, or None with the form's errors set."""
        if not self.is_valid():
            return None
        try:
            return self.perform(actor)
        except DomainValidationError as err:
            self.add_error(self.field_for(err), ValidationError(err.message, code=err.code))
            return None


# Opening balances are written by the open-AR import, not typed in by hand.
RECORDABLE_METHODS = [c for c in PaymentMethod.choices if c[0] != PaymentMethod.OPENING_BALANCE]


class CustomerPickerInput(forms.TextInput):
    """Posts the account id from a hidden input; the visible box drives a type-ahead
    (static/ledgerline/customer-picker.js) over a JSON lookup, so the page never lists
    every account. Only the chosen account's name is read (one row)."""

    def __init__(self, lookup_url_name: str, attrs=None):
        super().__init__(attrs)
        self.lookup_url_name = lookup_url_name

    def render(self, name, value, attrs=None, renderer=None):
        value = "" if value is None else str(value)
        label = ""
        if value.isdigit():
            label = Account.objects.filter(pk=value).values_list("legal_name", flat=True).first()
        return self.render_with_label(name, value, label, attrs)

    def render_with_label(self, name, value, label, attrs=None):
        """For a page that already holds the chosen account (a list of rows): no read."""
        attrs = self.build_attrs(self.attrs, attrs)
        box_id = attrs.get("id") or f"id_{name}"
        value = "" if value is None else str(value)
        return format_html(
            '<span class="customer-picker" data-lookup-url="{}">'
            '<input type="hidden" name="{}" value="{}" class="customer-picker-value">'
            '<input type="text" id="{}" value="{}" class="customer-picker-box" autocomplete="off"'
            ' role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="{}"'
            ' placeholder="Type a customer name or id">'
            '<ul id="{}" role="listbox" class="customer-picker-list" hidden></ul></span>',
            reverse(self.lookup_url_name), name, value, box_id, label or "",
            f"{box_id}_choices", f"{box_id}_choices",
        )  # fmt: skip


class RecordPaymentForm(CashForm):
    # The queryset only checks the posted id (one row); the widget never lists it.
    account = forms.ModelChoiceField(
        queryset=Account.objects.all(),
        widget=CustomerPickerInput("billing:payment_customer_lookup"),
        error_messages={"invalid_choice": "Choose a customer from the list; no such customer."},
    )
    method = forms.ChoiceField(choices=RECORDABLE_METHODS)
    # Blank is the service's to refuse (its message names what is needed).
    reference = forms.CharField(max_length=100, required=False)
    received_date = forms.DateField(widget=_date_input())
    currency = forms.ChoiceField(choices=currency_choices)
    amount = AmountFormField(max_digits=19, decimal_places=4, widget=_amount_input())

    def __init__(self, *args, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("received_date", timezone.localdate())
        standard = getattr(settings, "LEDGERLINE_STANDARD_CURRENCIES", None) or ["USD"]
        initial.setdefault("currency", standard[0])
        super().__init__(*args, **kwargs)

    def perform(self, actor) -> Payment:
        data = self.cleaned_data
        return services.record_payment(
            account=data["account"],
            amount=data["amount"],
            currency=data["currency"],
            received_date=data["received_date"],
            method=data["method"],
            reference=data["reference"],
            actor=actor,
        )


_ALLOCATION_FIELD = re.compile(r"^allocations\[(\d+)\]\.(\w+)$")


class ApplyForm(CashForm):
    """One amount box per open invoice; the filled ones are applied together (all or
    none). The "oldest first" button applies what is left to the oldest invoices instead,
    and ignores the boxes. The source is a payment (its unapplied cash) or a credit note
    (its credit on account)."""

    applied_date = forms.DateField(
        required=False, widget=_date_input(), help_text="Leave empty for today."
    )
    oldest_first = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, source: Payment | CreditNote, invoices: list[OpenInvoiceRow], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.source = source
        self.invoice_rows = invoices
        self._allocated: list[str] = []
        for row in invoices:
            self.fields[self.amount_field(row.invoice.pk)] = AmountFormField(
                label=f"Amount for {row.invoice.number or row.invoice.pk}",
                max_digits=19,
                decimal_places=4,
                required=False,
                widget=_amount_input(placeholder=str(row.open_amount)),
            )

    @staticmethod
    def amount_field(invoice_id: int) -> str:
        return f"invoice_{invoice_id}"

    @classmethod
    def posted_invoice_ids(cls, data, prefix: str) -> list[int]:
        """Invoices the submitted form put an amount on (a stale page may name one that
        is no longer open: the service then says why it is refused)."""
        pattern = re.compile(rf"^{re.escape(prefix)}-invoice_(\d+)$")
        return [
            int(match.group(1))
            for key, value in data.items()
            if (match := pattern.match(key)) and value.strip()
        ]

    @property
    def allocation_rows(self) -> list[tuple[OpenInvoiceRow, forms.BoundField]]:
        return [(row, self[self.amount_field(row.invoice.pk)]) for row in self.invoice_rows]

    def clean(self):
        cleaned = super().clean()
        box_errors = any(self.has_error(self.amount_field(r.invoice.pk)) for r in self.invoice_rows)
        if not (cleaned.get("oldest_first") or self._allocations(cleaned) or box_errors):
            raise ValidationError(
                "Enter an amount for at least one invoice, or apply oldest first.",
                code=BillingError.NO_ALLOCATION,
            )
        return cleaned

    def _allocations(self, cleaned) -> list[tuple[OpenInvoiceRow, Decimal]]:
        return [
            (row, cleaned[name])
            for row in self.invoice_rows
            if cleaned.get(name := self.amount_field(row.invoice.pk)) is not None
        ]

    def perform(self, actor) -> list[PaymentApplication] | list[CreditApplication]:
        data = self.cleaned_data
        day = data["applied_date"]
        is_credit = isinstance(self.source, CreditNote)
        if data["oldest_first"]:
            if is_credit:
                return services.apply_credit_oldest_first(
                    credit_note=self.source, actor=actor, applied_date=day
                )
            return services.apply_oldest_first(payment=self.source, actor=actor, applied_date=day)
        allocations = self._allocations(data)
        self._allocated = [self.amount_field(row.invoice.pk) for row, _ in allocations]
        pairs = [(row.invoice, amount) for row, amount in allocations]
        if is_credit:
            return services.apply_credit_note(
                credit_note=self.source, allocations=pairs, actor=actor, applied_date=day
            )
        return services.apply_payment_to_invoices(
            payment=self.source, allocations=pairs, actor=actor, applied_date=day
        )

    def field_for(self, err: DomainValidationError) -> str | None:
        # "allocations[1].amount" is about the second filled box; a date problem is the
        # date's, whichever invoice it was found on.
        match = _ALLOCATION_FIELD.match(err.field)
        if match and int(match.group(1)) < len(self._allocated):
            if match.group(2) == "applied_date":
                return "applied_date"
            return self._allocated[int(match.group(1))]
        return super().field_for(err)


class ReverseApplicationForm(CashForm):
    """Reverses a payment application or a credit application (the same counter-entry)."""

    # Required by the service (field "reason", code "required"), so the page and the API
    # refuse a blank reason with the same words.
    reason = forms.CharField(max_length=300, required=False)
    reversal_date = forms.DateField(
        required=False, widget=_date_input(), help_text="Leave empty for today."
    )

    def __init__(self, *args, application: PaymentApplication | CreditApplication, **kwargs):
        super().__init__(*args, **kwargs)
        self.application = application

    def perform(self, actor) -> PaymentApplication | CreditApplication:
        reverse = (
            services.reverse_credit_application
            if isinstance(self.application, CreditApplication)
            else services.reverse_application
        )
        return reverse(
            application=self.application,
            actor=actor,
            reason=self.cleaned_data["reason"],
            reversal_date=self.cleaned_data["reversal_date"],
        )


class RefundForm(CashForm):
    amount = AmountFormField(max_digits=19, decimal_places=4, widget=_amount_input())
    reference = forms.CharField(max_length=100, required=False)
    reason = forms.CharField(max_length=300, required=False)
    refund_date = forms.DateField(
        required=False, widget=_date_input(), help_text="Leave empty for today."
    )

    def __init__(self, *args, source: Payment | CreditNote, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def perform(self, actor):
        data = self.cleaned_data
        if isinstance(self.source, CreditNote):
            refund, target = services.refund_credit_note, {"credit_note": self.source}
        else:
            refund, target = services.refund_payment, {"payment": self.source}
        return refund(
            **target,
            amount=data["amount"],
            actor=actor,
            reference=data["reference"],
            reason=data["reason"],
            refund_date=data["refund_date"],
        )
