"""Thin Celery wrappers: load by id, call one service."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from billing.models import BillingRun, CreditNote, Invoice, InvoiceSource, InvoiceStatus
from billing.services.delivery import TRANSIENT_DELIVERY_ERRORS
from core.errors import DomainValidationError

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def run_billing(self, run_id: int) -> int:
    """Delivered again (a worker killed mid-run, the safety net) it finds the run done and
    leaves it, takes over a stalled run, or waits for a live attempt's lease to lapse
    (run_lease.py): by then the run is done, or its owner is gone."""
    from billing.services import execute_billing_run
    from billing.services.run_lease import RunBusy

    run = BillingRun.objects.get(pk=run_id)
    try:
        return execute_billing_run(run=run).invoices_created
    except RunBusy as busy:
        raise self.retry(countdown=busy.retry_in, exc=busy) from busy


@shared_task(acks_late=True)
def resume_stalled_billing_runs() -> int:
    """Safety net, for beat every few minutes: billing runs whose worker died (heartbeat
    older than the lease) or whose task message was lost are queued again."""
    from billing.services.run_lease import stalled_runs

    run_ids = list(stalled_runs().values_list("pk", flat=True))
    for run_id in run_ids:
        run_billing.delay(run_id)
    if run_ids:
        logger.warning("Resumed %s stalled billing run(s): %s", len(run_ids), run_ids)
    return len(run_ids)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_DELIVERY_ERRORS,
    retry_backoff=30,  # seconds, doubling: a mail server outage is minutes, not seconds
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=10,
)
def deliver_invoice(self, invoice_id: int) -> int | None:
    """Stores the issued invoice's PDF and e-mails it to the billing contacts, once.
    Returns the delivery's id, or None when the invoice cannot be sent."""
    from billing.services.delivery import deliver_invoice_email

    try:
        return deliver_invoice_email(invoice_id=invoice_id).pk
    except Invoice.DoesNotExist:
        logger.warning("Invoice %s does not exist; nothing delivered", invoice_id)
    except DomainValidationError as err:
        # Not retried: nothing changes until someone adds a billing contact and resends.
        logger.warning("Invoice %s was not delivered: %s", invoice_id, err.code)
    return None


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def render_credit_note_pdf(self, credit_note_id: int) -> None:
    """Renders and stores the credit note's PDF, once."""
    from billing.documents.pdf import store_credit_note_pdf

    store_credit_note_pdf(CreditNote.objects.get(pk=credit_note_id))


@shared_task(acks_late=True)
def deliver_undelivered_invoices(older_than_minutes: int = 15, within_days: int = 3) -> int:
    """Safety net for an enqueue lost at issue time (broker down at that moment): queues
    delivery for recently issued invoices that have none yet. Meant for beat, every few
    minutes; the window keeps it from mailing old invoices issued before delivery existed.
    """
    now = timezone.now()
    invoice_ids = list(
        Invoice.objects.filter(
            status=InvoiceStatus.ISSUED,
            source=InvoiceSource.BILLING,
            delivery__isnull=True,
            issued_at__lte=now - timedelta(minutes=older_than_minutes),
            issued_at__gte=now - timedelta(days=within_days),
        ).values_list("pk", flat=True)
    )
    for invoice_id in invoice_ids:
        deliver_invoice.delay(invoice_id)
    if invoice_ids:
        logger.info("Queued delivery of %s undelivered invoice(s)", len(invoice_ids))
    return len(invoice_ids)


# --- on-commit hooks (registered in BillingConfig.ready) ---------------------------------


def _enqueue(task, object_id: int) -> None:
    """The document is already committed: an error here must not turn a successful issue
    into a failed request, nor stop the hooks queued after this one."""
    try:
        task.delay(object_id)
    except Exception as exc:  # logged by type only: no customer data
        logger.error("Could not queue %s for %s (%s)", task.name, object_id, type(exc).__name__)


def queue_invoice_delivery(invoice_id: int) -> None:
    """ON_ISSUE hook: the issued invoice's PDF and e-mail, in a worker."""
    _enqueue(deliver_invoice, invoice_id)


def queue_credit_note_pdf(credit_note_id: int) -> None:
    """ON_CREDIT_NOTE hook: the credit note's PDF, in a worker."""
    _enqueue(render_credit_note_pdf, credit_note_id)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT_DELIVERY_ERRORS,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=10,
)
def send_invoice_resend(self, resend_id: int) -> int:
    """E-mails a requested resend of an invoice, once."""
    from billing.services.resend import send_invoice_resend as send

    return send(resend_id=resend_id).pk


def queue_invoice_resend(resend_id: int) -> None:
    """ON_RESEND hook: the resend's e-mail, in a worker."""
    _enqueue(send_invoice_resend, resend_id)
