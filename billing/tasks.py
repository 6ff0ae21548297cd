"""Thin Celery wrappers: load by id, call one service."""

from celery import shared_task

from billing.models import BillingRun


@shared_task(acks_late=True)
def run_billing(run_id: int) -> int:
    from billing.services import execute_billing_run

    run = BillingRun.objects.get(pk=run_id)
    return execute_billing_run(run=run).invoices_created
