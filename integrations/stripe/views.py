"""The Stripe integration page (pushes and events that need a person) and the webhook."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.errors import DomainValidationError
from core.permissions import require

from . import selectors
from .models import StripeCreditNotePush, StripeInvoicePush
from .push import is_stalled
from .push import retry_push as retry_stripe_push
from .webhooks import BadSignature, NotAStripeEvent, WebhookNotConfigured, receive_event, verify

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


RETRIES = {"invoice": StripeInvoicePush, "credit-note": StripeCreditNotePush}


@require("stripe_billing.view_stripeinvoicepush", "stripe_billing.retry_stripe_push")
@require_POST
def retry_push(request, kind: str, pk: int):
    if kind not in RETRIES:
        raise Http404("No such push kind")
    push = get_object_or_404(RETRIES[kind], pk=pk)
    try:
        retry_stripe_push(push=push, actor=request.user)
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
    except NotAStripeEvent as err:
        # Signed by Stripe's secret yet unreadable: one line (paths and types only, no
        # values), nothing stored, so there is nothing half-done to redeliver.
        logger.warning("Stripe webhook body refused: %s", err)
        response = JsonResponse({"error": "Not a Stripe event of the expected shape."}, status=400)
        # Logged above; Django's request logger would log the same 400 a second time.
        response._has_been_logged = True
        return response
    try:
        row = receive_event(event)
    except Exception:
        # Ids only: the payload carries customer names and addresses.
        logger.exception(
            "Stripe event %s (%s) failed; Stripe will redeliver", event["id"], event["type"]
        )
        return JsonResponse({"error": "Processing failed; retry later."}, status=500)
    return JsonResponse({"received": True, "outcome": row.outcome})
