"""Bulk work on a billing run's invoices from the console: issue drafts, send issued ones.

Each invoice goes through the one-invoice service (`issue_invoice`,
`deliver_invoice_email`), each in its own transaction, so a failure on one leaves the
others done and a retry of the same request (a double click, a chunk re-posted after a
timeout) does each invoice at most once: an invoice already issued is skipped, never
issued again under a new number, and `deliver_invoice_email` returns the delivery it
already made instead of sending a second e-mail. That is why this function is not one
transaction itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from billing.error_codes import BillingError
from billing.models import BillingRun, Invoice, InvoiceDelivery, InvoiceStatus
from core.errors import DomainValidationError

from .delivery import deliver_invoice_email
from .invoicing import issue_invoice

MAX_BATCH = 500


@dataclass
class BulkOutcome:
    done: list[int] = field(default_factory=list)  # acted on now
    skipped: list[int] = field(default_factory=list)  # already done (a retry)
    refused: list[tuple[int, str]] = field(default_factory=list)  # id, the reason

    def as_dict(self) -> dict:
        return {
            "done": self.done,
            "skipped": self.skipped,
            "refused": [{"invoice": pk, "message": message} for pk, message in self.refused],
        }


def _run_invoices(run: BillingRun, invoice_ids: Sequence[int] | None, status: str):
    invoices = Invoice.objects.filter(billing_run=run)
    if invoice_ids is None:
        return list(invoices.filter(status=status).order_by("invoice_date", "id")), []
    wanted = {int(pk) for pk in invoice_ids}
    found = list(invoices.filter(pk__in=wanted).order_by("invoice_date", "id"))
    missing = sorted(wanted - {i.pk for i in found})
    return found, missing


def _check_size(invoice_ids: Sequence[int] | None) -> None:
    if invoice_ids is not None and len(invoice_ids) > MAX_BATCH:
        raise DomainValidationError(
            field="invoices",
            code=BillingError.TOO_MANY_INVOICES,
            message=f"Select at most {MAX_BATCH} invoices at a time.",
        )


def issue_run_drafts(
    *, run: BillingRun, actor, invoice_ids: Sequence[int] | None = None
) -> BulkOutcome:
    """Issues `invoice_ids` of `run` (every draft of the run when None), oldest date
    first, so that numbers follow dates."""
    _check_size(invoice_ids)
    invoices, missing = _run_invoices(run, invoice_ids, InvoiceStatus.DRAFT)
    outcome = BulkOutcome(refused=[(pk, "Not an invoice of this run.") for pk in missing])
    for invoice in invoices:
        if invoice.status == InvoiceStatus.ISSUED:
            outcome.skipped.append(invoice.pk)
            continue
        try:
            issue_invoice(invoice=invoice, actor=actor)
        except DomainValidationError as err:
            invoice.refresh_from_db(fields=["status"])
            if invoice.status == InvoiceStatus.ISSUED:  # issued meanwhile by another request
                outcome.skipped.append(invoice.pk)
            else:
                outcome.refused.append((invoice.pk, err.message))
        else:
            outcome.done.append(invoice.pk)
    return outcome


def send_run_invoices(
    *, run: BillingRun, actor, invoice_ids: Sequence[int] | None = None
) -> BulkOutcome:
    """E-mails `invoice_ids` of `run` (every issued one not yet sent when None), each at
    most once."""
    _check_size(invoice_ids)
    invoices, missing = _run_invoices(run, invoice_ids, InvoiceStatus.ISSUED)
    outcome = BulkOutcome(refused=[(pk, "Not an invoice of this run.") for pk in missing])
    sent = set(
        InvoiceDelivery.objects.filter(invoice__in=invoices).values_list("invoice_id", flat=True)
    )
    for invoice in invoices:
        if invoice.pk in sent:
            outcome.skipped.append(invoice.pk)
            continue
        try:
            deliver_invoice_email(invoice_id=invoice.pk)
        except DomainValidationError as err:
            outcome.refused.append((invoice.pk, err.message))
        except Exception as err:  # noqa: BLE001 - mail server trouble: tell, try the next
            outcome.refused.append((invoice.pk, f"Not sent now ({type(err).__name__}); retry."))
        else:
            outcome.done.append(invoice.pk)
    return outcome
