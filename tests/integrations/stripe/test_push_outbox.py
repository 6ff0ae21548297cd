"""The Stripe push intent is written in the issuing transaction (an outbox row), so a
process killed right after the issue commits still gets its invoice pushed by the safety
net. The issuing runs in a real process, killed with SIGKILL once the commit is done and
before any on-commit work (the Stripe queueing included) could run."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from billing.models import CreditNote, Invoice
from billing.services import issue_credit_note
from integrations.stripe.models import PushState, StripeCreditNotePush, StripeInvoicePush
from integrations.stripe.push import STALLED_AFTER
from integrations.stripe.tasks import requeue_stalled_stripe_pushes

from .conftest import draft_invoice_for, issue_invoice_for
from .test_push_worker import worker_env

pytestmark = pytest.mark.django_db(transaction=True)

ISSUER = """
import os
import signal
import sys

import django

django.setup()
from django.utils import timezone

from billing.models import Invoice
from billing.services import issue_invoice
from billing.services.invoicing import ON_ISSUE


def die_after_commit(invoice_id):
    os.kill(os.getpid(), signal.SIGKILL)


# First of the on-commit hooks: the commit is done, nothing after it runs.
ON_ISSUE.insert(0, die_after_commit)
draft = Invoice.objects.get(pk=int(sys.argv[1]))
issue_invoice(invoice=draft, actor=None, invoice_date=timezone.localdate())
print("survived")
"""


def as_if_stalled(model) -> None:
    model.objects.update(updated_at=timezone.now() - STALLED_AFTER - timedelta(seconds=1))


def test_a_process_killed_right_after_issuing_still_gets_its_invoice_pushed(
    stripe_settings, eager_celery
):
    draft = draft_invoice_for()
    issuer = subprocess.run(
        [sys.executable, "-c", ISSUER, str(draft.pk)],
        env=worker_env(stripe_settings.url),
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert issuer.returncode == -signal.SIGKILL, issuer.stderr[-2000:]
    assert "survived" not in issuer.stdout
    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == "issued" and invoice.number
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert (push.state, push.attempts) == (PushState.PENDING, 0)
    assert stripe_settings.count("invoice") == 0

    assert requeue_stalled_stripe_pushes() == 0  # not stalled yet: the fast path may run
    as_if_stalled(StripeInvoicePush)
    assert requeue_stalled_stripe_pushes() == 1

    push.refresh_from_db()
    assert push.state == PushState.PUSHED
    assert stripe_settings.count("invoice") == 1
    assert Invoice.objects.get(pk=draft.pk).stripe_invoice_id == push.stripe_invoice_id


def test_the_push_intent_commits_with_the_invoice_and_not_without_it(stripe_settings):
    from billing.services import issue_invoice
    from billing.services.invoicing import ON_ISSUE_IN_TRANSACTION

    draft = draft_invoice_for()

    def refuse_after_the_intent(invoice_id: int) -> None:
        assert StripeInvoicePush.objects.filter(invoice_id=invoice_id).exists()
        raise RuntimeError("the issuing transaction fails after the intent was written")

    ON_ISSUE_IN_TRANSACTION.append(refuse_after_the_intent)
    try:
        with pytest.raises(RuntimeError):
            issue_invoice(invoice=draft, actor=None, invoice_date=timezone.localdate())
    finally:
        ON_ISSUE_IN_TRANSACTION.remove(refuse_after_the_intent)
    assert not StripeInvoicePush.objects.exists()
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


def test_a_credit_note_writes_its_push_intent_in_its_own_transaction(stripe_settings):
    from billing.services.credit_notes import ON_CREDIT_NOTE

    invoice = issue_invoice_for()
    saved = list(ON_CREDIT_NOTE)
    ON_CREDIT_NOTE.clear()  # as if the process died before any on-commit work
    try:
        issue_credit_note(invoice=invoice, actor=None, reason="Goodwill", amount=Decimal("2500"))
    finally:
        ON_CREDIT_NOTE[:] = saved
    note = CreditNote.objects.get(invoice=invoice)
    assert StripeCreditNotePush.objects.get(credit_note=note).state == PushState.PENDING
