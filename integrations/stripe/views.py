"""The Stripe integration page (pushes and events that need a person) and the webhook."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.permissions import require
from ordermgmt.errors import DomainValidationError

from . import selectors
from .models import StripeCreditNotePush, StripeInvoicePush
from .push import is_stalled, retry_credit_note_push, retry_invoice_push
from .webhooks import BadSignature, WebhookNotConfigured, receive_event, verify

logger = logging.getLogger(__name__)


@require("stripe_billing.view_stripeinvoicepush")
def integration_errors(request):
    invoice_pushes = list(selectors.invoice_pushes_needing_attention())
    credit_note_pushes = list(selectors.credit_note_pushes_needing_attention())
    for push in [*invoice_pushes, *credit_note_pushes]:
        push.stalled = is_stalled(push)
    return render(
        request,
        "integrations/stripe/integration_errors.html",
        {
            "enabled": getattr(settings, "STRIPE_ENABLED", False),
            "api_base": getattr(settings, "STRIPE_API_BASE", "") or "https://api.stripe.com",
            "counts": selectors.push_counts(),
            "invoice_pushes": invoice_pushes,
            "credit_note_pushes": credit_note_pushes,
            "events_attention": selectors.webhook_events_needing_attention(),
            "recent_pushes": selectors.recent_invoice_pushes(),
            "recent_events": selectors.recent_webhook_events(),
            "can_retry": request.user.has_perm("stripe_billing.retry_stripe_push"),
        },
    )


RETRIES = {
    "invoice": (StripeInvoicePush, retry_invoice_push),
    "credit-note": (StripeCreditNotePush, retry_credit_note_push),
}


@require("stripe_billing.view_stripeinvoicepush", "stripe_billing.retry_stripe_push")
@require_POST
def retry_push(request, kind: str, pk: int):
    if kind not in RETRIES:
        raise Http404("No such push kind")
    model, retry = RETRIES[kind]
    push = get_object_or_404(model, pk=pk)
    try:
        retry(push=push, actor=request.user)
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"{push} queued again.")
    return redirect("stripe_billing:integration_errors")


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's calls: no session, no CSRF token; the signature is the authentication."""
    try:
        event = verify(request.body, request.headers.get("Stripe-Signature"))
    except WebhookNotConfigured:
        # Stripe keeps retrying a 503 for days: events wait until the secret is set.
        return JsonResponse({"error": "Webhook secret not configured."}, status=503)
    except BadSignature:
        return JsonResponse({"error": "Invalid or stale signature."}, status=400)
    try:
        row = receive_event(event)
    except Exception:
        # Ids only: the payload carries customer names and addresses.
        logger.exception(
            "Stripe event %s (%s) failed; Stripe will redeliver", event["id"], event["type"]
        )
        return JsonResponse({"error": "Processing failed; retry later."}, status=500)
    return JsonResponse({"received": True, "outcome": row.outcome})
