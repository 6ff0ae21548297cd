"""A push worker dies or is duplicated mid-push: still exactly one Stripe invoice.

These run the push in other processes and threads, so their rows must be committed
(transactional tests on PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from django.conf import settings
from django.db import connection

from integrations.stripe.locks import PUSH
from integrations.stripe.models import PushState, StripeInvoicePush
from integrations.stripe.simulator import TEST_API_KEY

from .conftest import issue_invoice_for, run_push, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = """
import sys

import django

django.setup()
from integrations.stripe.tasks import push_invoice_to_stripe

push_invoice_to_stripe.apply(args=[int(sys.argv[1])])
"""


def worker_env(simulator_url: str) -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "STRIPE_API_KEY": TEST_API_KEY,
        "STRIPE_API_BASE": simulator_url,
        "STRIPE_ENABLED": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def push_lock_held(invoice_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s",
            [PUSH, invoice_id],
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_between_creating_the_stripe_invoice_and_storing_its_id(
    stripe_settings,
):
    invoice = issue_invoice_for()
    # Stripe creates the invoice, but its reply is held back: the worker is waiting for
    # it, the Stripe id is nowhere on our side yet, and that is when the worker dies.
    stripe_settings.inject_fault(
        mode="hang", seconds=30, method="POST", path_prefix="/v1/invoices", when="after"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(invoice.pk)],
        env=worker_env(stripe_settings.url),
        cwd=settings.BASE_DIR,
    )
    try:
        wait_until(lambda: stripe_settings.count("invoice") == 1, timeout=60)
        push = StripeInvoicePush.objects.get(invoice=invoice)
        assert (push.state, push.stripe_invoice_id) == (PushState.IN_PROGRESS, "")
        assert push_lock_held(invoice.pk)
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    # PostgreSQL drops the dead worker's session, and its advisory lock with it.
    wait_until(lambda: not push_lock_held(invoice.pk), timeout=10)

    # The message is delivered again (acks_late) and another worker runs the task.
    assert run_push(invoice.pk) == "pushed"
    assert stripe_settings.count("invoice") == 1
    push = StripeInvoicePush.objects.get(invoice=invoice)
    (created,) = [
        r
        for r in stripe_settings.requests()
        if (r["method"], r["path"]) == ("POST", "/v1/invoices")
    ]
    assert created["fault"]  # the one create is the one whose reply was lost
    assert push.stripe_invoice_id and push.attempts == 2
    invoice.refresh_from_db()
    assert invoice.stripe_invoice_id == push.stripe_invoice_id


def test_two_workers_on_the_same_invoice_at_once_make_one_stripe_invoice(stripe_settings):
    invoice = issue_invoice_for()
    # A slow Stripe: the first worker is still creating when the duplicate arrives.
    stripe_settings.inject_fault(
        mode="delay", seconds=1.0, method="POST", path_prefix="/v1/invoices"
    )
    outcomes: list[str] = []

    def work() -> None:
        try:
            outcomes.append(run_push(invoice.pk))
        except Exception as exc:  # the duplicate steps aside: another worker holds it
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["Busy", "pushed"]
    assert stripe_settings.count("invoice") == 1
    assert run_push(invoice.pk) == "pushed"  # the duplicate's later retry: a no-op
    assert stripe_settings.count("invoice") == 1
