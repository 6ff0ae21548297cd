"""The push's retry logic against Stripe's documented idempotency: a conflict with a
request still executing is retried later and ends in that request's result; a saved
error is replayed, not run again."""

from __future__ import annotations

import threading

import pytest

from integrations.stripe.client import StripeUnavailable
from integrations.stripe.models import PushState, StripeInvoicePush
from integrations.stripe.push import idempotency_key, invoice_params, push_invoice

from .conftest import issue_invoice_for, run_push, wait_until


def executing(simulator, path: str) -> bool:
    return any(
        e["method"] == "POST" and e["path"] == path and e["status"] is None
        for e in simulator.requests()
    )


@pytest.mark.django_db(transaction=True)
def test_a_push_that_meets_its_own_earlier_request_still_executing_retries_and_gets_its_result(
    stripe_settings,
):
    invoice = issue_invoice_for()
    # A first attempt gets as far as the customer, then Stripe fails on the invoice.
    stripe_settings.inject_fault(
        mode="error", status=500, method="POST", path_prefix="/v1/invoices"
    )
    assert run_push(invoice.pk, retries=8) == "failed"  # its final attempt
    push = StripeInvoicePush.objects.get(invoice=invoice)
    # An earlier attempt's create (same key, same parameters) is slow at Stripe; our side
    # gave up waiting for it, and the next attempt arrives while it still executes.
    stripe_settings.inject_fault(mode="delay", seconds=2, method="POST", path_prefix="/v1/invoices")
    earlier: list = []
    slow = threading.Thread(
        target=lambda: earlier.append(
            stripe_settings.client().v1.invoices.create(
                params=invoice_params(invoice, push.stripe_customer_id),
                options={"idempotency_key": idempotency_key(invoice.pk, "invoice")},
            )
        )
    )
    slow.start()
    wait_until(lambda: executing(stripe_settings, "/v1/invoices"))

    with pytest.raises(
        StripeUnavailable, match="Stripe 409: There is currently another in-progress request"
    ):
        push_invoice(invoice_id=invoice.pk, final_attempt=False, retry_in=5)
    push.refresh_from_db()
    assert (push.state, push.last_error_code) == (PushState.RETRYING, "stripe_unavailable")

    slow.join(timeout=10)
    assert run_push(invoice.pk) == "pushed"
    push.refresh_from_db()
    assert push.stripe_invoice_id == earlier[0].id
    assert stripe_settings.count("invoice") == 1
