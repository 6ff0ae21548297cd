"""Push issued invoices, their credit notes and their voiding to Stripe.

The invoice push, step by step (each step's result is committed before the next call):

1. check: our invoice is issued, and every amount converts exactly into Stripe's minor
   units (currencies.py). A refusal here happens before any call to Stripe.
2. customer: the Account's Stripe customer, created once per account (idempotency key
   `ledgerline-account-<id>-customer`, the create under the account's row lock, the id
   stored on the Account at once), then updated with the current name, e-mail (first
   billing contact) and address.
3. invoice: the stored Stripe invoice id, or else a Stripe invoice of this customer whose
   metadata names our invoice id, or else a new one: `collection_method=send_invoice`,
   our due date, metadata `ledgerline_invoice_id`/`ledgerline_invoice_number`, key
   `ledgerline-invoice-<id>-invoice`. Its id is stored on the push and on our Invoice.
4. items: one invoice item per invoice line (our rounded net amount, key
   `...-item-<line id>`) and one per tax rate (the sum of the lines' rounded taxes, key
   `...-tax-<percent>`), each tagged `ledgerline_line` in metadata; items the draft
   already has (by that tag) are not sent again.
5. check the Stripe total equals ours in minor units; otherwise stop and say so.
6. finalize (key `...-finalize`, `auto_advance=false`: our own delivery e-mails the
   invoice, Stripe does not), and store the Stripe number, status and hosted page.

Why it never makes a second Stripe invoice: a retried request carries the same key, so
Stripe replays the first answer (a reply lost on the way back included); a task that
runs again, or restarts after its worker was killed, finds the stored id or, if the
worker died before storing it, the invoice by its metadata; and two workers on the
same invoice are kept apart by an advisory lock (locks.py), the second one retrying.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from core.audit import audit_next_save
from core.errors import DomainValidationError
from integrations.error_codes import IntegrationError
from ordermgmt.models import Account

from ..client import StripeRefused, stripe_client, translate
from ..currencies import stripe_currency, to_stripe_amount
from ..locks import PUSH, invoice_lock
from ..models import InvoicePushStep, PushState, StripeInvoicePush
from .common import (
    INVOICE_ID_KEY,
    INVOICE_NUMBER_KEY,
    LINE_KEY,
    _attempt,
    _call,
    _finish,
    _metadata,
    advance_stripe_status,
    idempotency_key,
    logger,
)

STEP_ORDER = [s.value for s in InvoicePushStep]
# Stripe refuses a due date in the past; an invoice that is already due is sent as
# due now (days_until_due=0) with our due date kept in metadata.
MIN_DUE_DATE_LEAD = timedelta(minutes=5)
# Credit note pushes hooked here are queued once their invoice reaches Stripe.
ON_INVOICE_PUSHED: list[Callable[[int], None]] = []


# --- What we send ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedItem:
    ref: str  # the `ledgerline_line` tag: "line-<id>" or "tax-<percent>"
    key_suffix: str
    description: str
    amount: int  # Stripe minor units
    period: dict[str, int] | None = None


def _timestamp(day, at: time = time(12)) -> int:
    # Noon UTC falls on the same calendar day in every timezone from UTC-11 to UTC+11,
    # so Stripe shows the date we mean whatever the account's display timezone.
    return int(datetime.combine(day, at, tzinfo=UTC).timestamp())


def planned_items(invoice: Invoice) -> list[PlannedItem]:
    """Our lines and taxes as Stripe items; refuses amounts Stripe cannot carry exactly."""
    currency = invoice.currency
    items = []
    taxes: dict[Decimal, list] = {}
    for line in invoice.lines.select_related("tax_rate").order_by("position", "id"):
        period = None
        if line.period_start and line.period_end:
            period = {"start": _timestamp(line.period_start), "end": _timestamp(line.period_end)}
        items.append(
            PlannedItem(
                ref=f"line-{line.pk}",
                key_suffix=f"item-{line.pk}",
                description=line.description,
                amount=to_stripe_amount(line.amount, currency, field=f"lines[{line.pk}].amount"),
                period=period,
            )
        )
        if line.tax_amount:
            taxes.setdefault(line.tax_percent.normalize(), []).append(line)
    for percent, lines in sorted(taxes.items()):
        tax = sum((line.tax_amount for line in lines), Decimal(0))
        name = lines[0].tax_rate.name if lines[0].tax_rate else "Tax"
        items.append(
            PlannedItem(
                ref=f"tax-{percent:f}",
                key_suffix=f"tax-{percent:f}",
                description=f"{name} {percent:f}%",
                amount=to_stripe_amount(tax, currency, field="tax_amount"),
            )
        )
    total = to_stripe_amount(invoice.total_amount, currency, field="total_amount")
    if sum(item.amount for item in items) != total:
        raise DomainValidationError(
            field="total_amount",
            code=IntegrationError.LINES_DO_NOT_ADD_UP,
            message=f"Invoice {invoice.number}: lines and taxes do not add up to its total.",
        )
    return items


def customer_params(account: Account) -> dict[str, Any]:
    contact = account.contacts.filter(is_billing_contact=True).order_by("id").first()
    params: dict[str, Any] = {
        "name": account.legal_name,
        "email": contact.email if contact else "",
        "metadata": {"ledgerline_account_id": str(account.pk)},
    }
    if account.billing_country:
        params["address"] = {
            "line1": account.billing_address_line1,
            "line2": account.billing_address_line2,
            "city": account.billing_city,
            "state": account.billing_region,
            "postal_code": account.billing_postal_code,
            "country": account.billing_country,
        }
    return params


def invoice_params(invoice: Invoice, customer_id: str) -> dict[str, Any]:
    metadata = {INVOICE_ID_KEY: str(invoice.pk), INVOICE_NUMBER_KEY: invoice.number}
    params: dict[str, Any] = {
        "customer": customer_id,
        "currency": stripe_currency(invoice.currency).wire_code,
        "collection_method": "send_invoice",
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
        "description": f"Invoice {invoice.number}",
        "metadata": metadata,
    }
    due = _timestamp(invoice.due_date)
    if datetime.fromtimestamp(due, UTC) > timezone.now() + MIN_DUE_DATE_LEAD:
        params["due_date"] = due
    else:
        params["days_until_due"] = 0
        metadata["ledgerline_due_date"] = invoice.due_date.isoformat()
    if invoice.po_number:
        params["custom_fields"] = [{"name": "PO number", "value": invoice.po_number[:140]}]
    return params


# --- The invoice push ------------------------------------------------------------------------


def push_invoice(
    *, invoice_id: int, final_attempt: bool = True, retry_in: int | None = None
) -> StripeInvoicePush:
    """One attempt at getting an issued invoice into Stripe, finalized. Safe to repeat."""
    push, _ = StripeInvoicePush.objects.get_or_create(invoice_id=invoice_id)
    if push.state in (PushState.PUSHED, PushState.SKIPPED):
        return push
    with invoice_lock(PUSH, invoice_id, wait=False):
        push.refresh_from_db()
        if push.state in (PushState.PUSHED, PushState.SKIPPED):
            return push
        _attempt(
            push,
            lambda: _push_invoice(push),
            final_attempt=final_attempt,
            retry_in=retry_in,
        )
    if push.state == PushState.PUSHED:
        for hook in ON_INVOICE_PUSHED:
            hook(invoice_id)
    return push


def _reached(push: StripeInvoicePush, step: str) -> bool:
    return STEP_ORDER.index(push.step) >= STEP_ORDER.index(step)


def _push_invoice(push: StripeInvoicePush) -> None:
    invoice = Invoice.objects.select_related("account").get(pk=push.invoice_id)
    if invoice.status == InvoiceStatus.DRAFT:
        raise DomainValidationError(
            field="invoice",
            code=IntegrationError.NOT_ISSUED,
            message="Only issued invoices go to Stripe.",
        )
    voided = invoice.status == InvoiceStatus.VOID
    if voided and not push.stripe_invoice_id and not push.stripe_customer_id:
        _finish(push, PushState.SKIPPED, note="Voided before it reached Stripe.")
        return
    if not voided and invoice.total_amount == 0 and not push.stripe_invoice_id:
        _finish(push, PushState.SKIPPED, note="Nothing to collect: the invoice totals zero.")
        return
    if voided:
        _withdraw(stripe_client(), push, invoice)
        return
    items = planned_items(invoice)
    total = to_stripe_amount(invoice.total_amount, invoice.currency, field="total_amount")
    client = stripe_client()

    customer_id = _ensure_customer(client, push, invoice)
    stripe_invoice = _ensure_stripe_invoice(client, push, invoice, customer_id)
    if stripe_invoice.status == "draft":
        _ensure_items(client, push, invoice, stripe_invoice.id, customer_id, items)
        stripe_invoice = _call(client.v1.invoices.retrieve, stripe_invoice.id)
        _check_total(invoice, stripe_invoice, total)
        stripe_invoice = _call(
            client.v1.invoices.finalize_invoice,
            stripe_invoice.id,
            params={"auto_advance": False},
            options={"idempotency_key": idempotency_key(invoice.pk, "finalize")},
        )
    elif stripe_invoice.status == "void":
        raise StripeRefused(
            f"Stripe invoice {stripe_invoice.id} was voided in Stripe; Ledgerline will not "
            "create another one. Void or credit the invoice here, or re-issue it.",
            code="voided_in_stripe",
        )
    else:
        _check_total(invoice, stripe_invoice, total)
    _finish(
        push,
        PushState.PUSHED,
        step=InvoicePushStep.FINALIZED,
        stripe_number=stripe_invoice.number or "",
        stripe_status=stripe_invoice.status,
        stripe_total=stripe_invoice.total,
        hosted_invoice_url=stripe_invoice.hosted_invoice_url or "",
        pushed_at=timezone.now(),
    )
    logger.info("Invoice %s pushed to Stripe as %s", invoice.pk, stripe_invoice.id)


def _withdraw(client: stripe.StripeClient, push: StripeInvoicePush, invoice: Invoice) -> None:
    """Our invoice was voided before its push finished: take back what reached Stripe."""
    if push.stripe_invoice_id:
        stripe_invoice = _call(client.v1.invoices.retrieve, push.stripe_invoice_id)
    else:
        stripe_invoice = _find_by_metadata(client, push.stripe_customer_id, invoice)
    if stripe_invoice is None:
        _finish(push, PushState.SKIPPED, note="Voided before it reached Stripe.")
        return
    push.stripe_invoice_id = stripe_invoice.id
    push.save(update_fields=["stripe_invoice_id", "updated_at"])
    _link_invoice(invoice.pk, push.stripe_customer_id, stripe_invoice.id)
    status = stripe_invoice.status
    if status == "paid":
        raise StripeRefused(
            f"Stripe invoice {stripe_invoice.id} is paid in Stripe and cannot be voided there; "
            "refund the payment in Stripe.",
            code="paid_in_stripe",
        )
    if status == "draft":
        try:
            client.v1.invoices.delete(stripe_invoice.id)
        except stripe.InvalidRequestError as err:
            if err.code != "resource_missing":
                raise translate(err) from err
        except stripe.StripeError as err:
            raise translate(err) from err
        note, status = (
            "Voided here while in draft at Stripe: the Stripe draft was deleted.",
            "deleted",
        )
    else:
        if status in ("open", "uncollectible"):
            status = _call(
                client.v1.invoices.void_invoice,
                stripe_invoice.id,
                options={"idempotency_key": idempotency_key(invoice.pk, "void")},
            ).status
        note = "Voided here before the push finished: the Stripe invoice was voided."
    _finish(push, PushState.SKIPPED, stripe_status=status, note=note)


def _check_total(invoice: Invoice, stripe_invoice: Any, total: int) -> None:
    currency = stripe_currency(invoice.currency).wire_code
    if stripe_invoice.total != total or stripe_invoice.currency != currency:
        raise DomainValidationError(
            field="total_amount",
            code=IntegrationError.STRIPE_TOTAL_MISMATCH,
            message=(
                f"Stripe invoice {stripe_invoice.id} totals {stripe_invoice.total} "
                f"{stripe_invoice.currency}, ours {total} {currency} (minor units); it was "
                "left unfinalized in Stripe."
            ),
        )


def _ensure_customer(client: stripe.StripeClient, push: StripeInvoicePush, invoice) -> str:
    if _reached(push, InvoicePushStep.CUSTOMER) and push.stripe_customer_id:
        return push.stripe_customer_id
    account = invoice.account
    if not account.stripe_customer_id:
        # The account's row lock keeps two pushes for the same account from making two
        # customers; the key covers a reply lost on the way back.
        with transaction.atomic():
            account = Account.objects.select_for_update().get(pk=account.pk)
            if not account.stripe_customer_id:
                customer = _call(
                    client.v1.customers.create,
                    params={"metadata": {"ledgerline_account_id": str(account.pk)}},
                    options={"idempotency_key": f"ledgerline-account-{account.pk}-customer"},
                )
                account.stripe_customer_id = customer.id
                audit_next_save(account, reason="stripe.customer_linked")
                account.save(update_fields=["stripe_customer_id", "updated_at"])
    # Name, e-mail and address as they are now; an update is idempotent by nature.
    _call(client.v1.customers.update, account.stripe_customer_id, params=customer_params(account))
    push.stripe_customer_id = account.stripe_customer_id
    push.step = InvoicePushStep.CUSTOMER
    push.save(update_fields=["stripe_customer_id", "step", "updated_at"])
    return push.stripe_customer_id


def _find_by_metadata(client: stripe.StripeClient, customer_id: str, invoice: Invoice):
    since = int((invoice.issued_at or invoice.created_at).timestamp()) - 86_400
    found = []
    listing = _call(
        client.v1.invoices.list,
        params={"customer": customer_id, "created": {"gte": since}, "limit": 100},
    )
    try:
        for candidate in listing.auto_paging_iter():
            if _metadata(candidate).get(INVOICE_ID_KEY) == str(invoice.pk):
                found.append(candidate)
    except stripe.StripeError as err:
        raise translate(err) from err
    # A voided one only counts when there is nothing else (then the caller refuses).
    found.sort(key=lambda c: c.status == "void")
    return found[0] if found else None


def _ensure_stripe_invoice(client, push: StripeInvoicePush, invoice: Invoice, customer_id: str):
    if push.stripe_invoice_id:
        return _call(client.v1.invoices.retrieve, push.stripe_invoice_id)
    stripe_invoice = _find_by_metadata(client, customer_id, invoice)
    if stripe_invoice is None:
        stripe_invoice = _call(
            client.v1.invoices.create,
            params=invoice_params(invoice, customer_id),
            options={"idempotency_key": idempotency_key(invoice.pk, "invoice")},
        )
    push.stripe_invoice_id = stripe_invoice.id
    push.step = InvoicePushStep.INVOICE
    push.save(update_fields=["stripe_invoice_id", "step", "updated_at"])
    advance_stripe_status(push, stripe_invoice.status)
    _link_invoice(invoice.pk, customer_id, stripe_invoice.id)
    return stripe_invoice


def _link_invoice(invoice_id: int, customer_id: str, stripe_invoice_id: str) -> None:
    """Stripe ids stay writable on an issued invoice (billing.models.MUTABLE_AFTER_ISSUE)."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if (invoice.stripe_customer_id, invoice.stripe_invoice_id) == (customer_id, stripe_invoice_id):
        return
    invoice.stripe_customer_id = customer_id
    invoice.stripe_invoice_id = stripe_invoice_id
    audit_next_save(invoice, reason="stripe.invoice_linked")
    invoice.save(update_fields=["stripe_customer_id", "stripe_invoice_id", "updated_at"])


def _ensure_items(client, push, invoice: Invoice, stripe_invoice_id: str, customer_id, items):
    existing: dict[str, Any] = {}
    listing = _call(
        client.v1.invoice_items.list, params={"invoice": stripe_invoice_id, "limit": 100}
    )
    try:
        for item in listing.auto_paging_iter():
            ref = _metadata(item).get(LINE_KEY)
            if ref:
                existing[ref] = item
    except stripe.StripeError as err:
        raise translate(err) from err
    currency = stripe_currency(invoice.currency).wire_code
    for planned in items:
        if planned.ref in existing:
            continue
        params: dict[str, Any] = {
            "customer": customer_id,
            "invoice": stripe_invoice_id,
            "currency": currency,
            "amount": planned.amount,
            "description": planned.description,
            "metadata": {LINE_KEY: planned.ref, INVOICE_ID_KEY: str(invoice.pk)},
        }
        if planned.period:
            params["period"] = planned.period
        _call(
            client.v1.invoice_items.create,
            params=params,
            options={"idempotency_key": idempotency_key(invoice.pk, planned.key_suffix)},
        )
    push.step = InvoicePushStep.ITEMS
    push.save(update_fields=["step", "updated_at"])
