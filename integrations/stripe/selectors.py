"""Reads for the Stripe integration page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import (
    NEEDS_ATTENTION,
    WEBHOOK_ATTENTION,
    PushState,
    StripeCreditNotePush,
    StripeInvoicePush,
    StripeWebhookEvent,
)
from .push import STALLED_AFTER


def _attention() -> Q:
    stalled_since = timezone.now() - STALLED_AFTER
    return Q(state__in=NEEDS_ATTENTION) | Q(
        state__in=[PushState.PENDING, PushState.IN_PROGRESS], updated_at__lt=stalled_since
    )


def invoice_pushes_needing_attention() -> QuerySet[StripeInvoicePush]:
    return (
        StripeInvoicePush.objects.filter(_attention())
        .select_related("invoice", "invoice__account")
        .order_by("state", "-updated_at")
    )


def credit_note_pushes_needing_attention() -> QuerySet[StripeCreditNotePush]:
    return (
        StripeCreditNotePush.objects.filter(_attention())
        .select_related("credit_note", "credit_note__invoice")
        .order_by("state", "-updated_at")
    )


def webhook_events_needing_attention(limit: int = 50) -> QuerySet[StripeWebhookEvent]:
    return StripeWebhookEvent.objects.filter(outcome__in=WEBHOOK_ATTENTION).select_related(
        "invoice", "payment"
    )[:limit]


def recent_invoice_pushes(limit: int = 20) -> QuerySet[StripeInvoicePush]:
    return StripeInvoicePush.objects.select_related("invoice", "invoice__account")[:limit]


def recent_webhook_events(limit: int = 20) -> QuerySet[StripeWebhookEvent]:
    return StripeWebhookEvent.objects.select_related("invoice", "payment")[:limit]


@dataclass
class PushCounts:
    pushed: int
    waiting: int
    attention: int


def push_counts() -> PushCounts:
    pushes = StripeInvoicePush.objects
    return PushCounts(
        pushed=pushes.filter(state=PushState.PUSHED).count(),
        waiting=pushes.filter(state__in=[PushState.PENDING, PushState.IN_PROGRESS]).count(),
        attention=pushes.filter(_attention()).count()
        + StripeCreditNotePush.objects.filter(_attention()).count(),
    )
