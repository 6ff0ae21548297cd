"""An invoice's Stripe status and hosted payment link, for the invoice page, PDF and
e-mail. Read from the Stripe push record through its reverse relation
(`invoice.stripe_push`), so billing does not import the integration."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from billing.models import Invoice, InvoiceStatus


@dataclass(frozen=True)
class StripeInvoiceStatus:
    push_state: str  # our push: "Pushed", "Retrying", "Failed" ...
    stripe_status: str  # Stripe's own invoice status: open, paid, void, uncollectible
    stripe_invoice_id: str
    hosted_invoice_url: str  # the "pay online" page; "" when Stripe gave none

    @property
    def label(self) -> str:
        if self.stripe_status:
            return f"{self.stripe_status.capitalize()} in Stripe"
        return f"Stripe push: {self.push_state.lower()}"


def stripe_invoice_status(invoice: Invoice) -> StripeInvoiceStatus | None:
    try:
        push = invoice.stripe_push
    except (ObjectDoesNotExist, AttributeError):
        return None
    return StripeInvoiceStatus(
        push_state=push.get_state_display(),
        stripe_status=push.stripe_status or "",
        stripe_invoice_id=push.stripe_invoice_id or "",
        hosted_invoice_url=push.hosted_invoice_url or "",
    )


def pay_online_url(invoice: Invoice) -> str:
    """The hosted payment page, offered only while something is left to pay."""
    if invoice.status != InvoiceStatus.ISSUED or invoice.open_amount <= 0:
        return ""
    status = stripe_invoice_status(invoice)
    if status is None or status.stripe_status in {"paid", "void", "uncollectible"}:
        return ""
    return status.hosted_invoice_url
