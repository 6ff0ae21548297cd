"""Resending an issued invoice: the same stored PDF, e-mailed again to today's billing
contacts. The request is recorded with who asked (an `InvoiceResend` row) and the e-mail
goes out from a worker after commit; a retried task finds `sent_at` set and sends
nothing more. Each resend has its own Message-ID, so mail clients do not fold it into the
first delivery."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from billing.documents.pdf import store_invoice_pdf
from billing.models import Invoice, InvoiceResend
from billing.services.delivery import (
    DEFAULT_EMAIL_TIMEOUT,
    _invoice_email,
    _message_id,
    _require_recipients,
    _require_sendable,
    _send,
    billing_contact_emails,
)

# Called after commit with the resend's id; billing.apps queues the task here.
ON_RESEND: list = []


@transaction.atomic(durable=True)
def resend_invoice(*, invoice: Invoice, actor) -> InvoiceResend:
    """Records the request and queues the e-mail; refuses (and records nothing) an invoice
    that is not issued or whose account has no billing contact with an e-mail."""
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    _require_sendable(invoice)
    recipients = billing_contact_emails(invoice.account_id)
    _require_recipients(invoice, recipients)
    resend = InvoiceResend.objects.create(
        invoice=invoice,
        requested_by=actor if getattr(actor, "pk", None) else None,
        recipients=recipients,
    )
    for hook in ON_RESEND:
        transaction.on_commit(lambda hook=hook: hook(resend.pk))
    return resend


def send_invoice_resend(*, resend_id: int) -> InvoiceResend:
    """Sends one requested resend, once (the row is locked while sending)."""
    resend = InvoiceResend.objects.select_related("invoice").get(pk=resend_id)
    if resend.sent_at is not None:
        return resend
    invoice = store_invoice_pdf(resend.invoice)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_EMAIL_TIMEOUT
    with transaction.atomic(durable=True):
        resend = InvoiceResend.objects.select_for_update().get(pk=resend_id)
        if resend.sent_at is not None:
            return resend
        message = _invoice_email(invoice, resend.recipients, get_connection(timeout=timeout))
        message_id = _message_id(invoice).replace("@", f".resend-{resend.pk}@", 1)
        message.extra_headers["Message-ID"] = message_id
        resend.sent_at = timezone.now()
        resend.message_id = message_id
        resend.save(update_fields=["sent_at", "message_id"])
        _send(message, invoice.pk)
    return resend
