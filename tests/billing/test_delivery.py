"""Invoice delivery: one e-mail per invoice, however often or concurrently it runs.

The e-mail backend is the network edge: tests use Django's locmem backend (or a subclass
that is slow or fails) and read `mail.outbox`.
"""

import hashlib
import logging
import smtplib
import threading
import time
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from billing.models import BillingRun, Invoice, InvoiceDelivery, InvoiceSource
from billing.services import (
    deliver_invoice_email,
    execute_billing_run,
    issue_invoice,
    queue_billing_run,
    void_invoice,
)
from billing.services.delivery import EmailRejected
from billing.tasks import deliver_invoice, deliver_undelivered_invoices
from config.celery import app as celery_app
from core.errors import DomainValidationError
from tests.factories import ContactFactory, active_contract, billable_account

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class SlowBackend(LocmemBackend):
    """A mail server that takes its time: concurrent deliveries really overlap."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


class FlakyBackend(LocmemBackend):
    """Drops the connection on the first attempt, then accepts."""

    attempts = 0

    def send_messages(self, messages):
        FlakyBackend.attempts += 1
        if FlakyBackend.attempts == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        recipients = {address: (550, b"5.1.1 no such user") for address in messages[0].to}
        raise smtplib.SMTPRecipientsRefused(recipients)


@pytest.fixture(autouse=True)
def mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = LOCMEM
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DEFAULT_FROM_EMAIL = "billing@ledgerline.example"


@pytest.fixture
def eager_tasks(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def without_issue_hooks(monkeypatch):
    """Issue without queueing the delivery, so that the test queues it itself."""
    monkeypatch.setattr("billing.services.invoicing.ON_ISSUE", [])


def draft_invoice(account=None) -> Invoice:
    active_contract(account=account or billable_account(legal_name="Acme Nederland B.V."))
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return Invoice.objects.get(status="draft")


def issued_invoice(account=None) -> Invoice:
    return issue_invoice(invoice=draft_invoice(account), actor=None)


def account_with_contacts():
    account = billable_account(legal_name="Acme Nederland B.V.")  # adds one billing contact
    ContactFactory(account=account, name="Zoe Payables", email="ap@acme.example")
    ContactFactory(account=account, name="Amy Finance", email="AP@ACME.example")  # duplicate
    ContactFactory(
        account=account, name="Sam Sales", email="sam@acme.example", is_billing_contact=False
    )
    return account


@pytest.mark.django_db
def test_issuing_an_invoice_emails_its_pdf_once_to_the_billing_contacts(
    eager_tasks, django_capture_on_commit_callbacks
):
    account = account_with_contacts()
    first_contact = account.contacts.order_by("pk").first()
    draft = draft_invoice(account)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue_invoice(invoice=draft, actor=None)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted(["AP@ACME.example", first_contact.email])
    assert message.subject == "Invoice INV-2026-000001 from Ledgerline Demo GmbH"
    assert "Amount due: $12,000.00" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == ("INV-2026-000001.pdf", "application/pdf")
    invoice.refresh_from_db()
    assert hashlib.sha256(content).hexdigest() == invoice.pdf_sha256  # the stored document
    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    assert sorted(delivery.recipients) == sorted(message.to)
    assert delivery.message_id == message.extra_headers["Message-ID"]
    assert delivery.message_id.startswith("<invoice.INV-2026-000001.")


@pytest.mark.django_db
def test_a_retried_or_repeated_delivery_sends_nothing_more(
    eager_tasks, django_capture_on_commit_callbacks
):
    draft = draft_invoice()
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue_invoice(invoice=draft, actor=None)
    delivery = InvoiceDelivery.objects.get(invoice=invoice)

    assert deliver_invoice.delay(invoice.pk).get() == delivery.pk
    assert deliver_invoice_email(invoice_id=invoice.pk) == delivery
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_dropped_smtp_connection_is_retried_and_sends_once(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.attempts = 0
    invoice = issued_invoice()

    # apply() runs the task here as a worker would, retries included (without the wait).
    deliver_invoice.apply((invoice.pk,), throw=False)

    assert FlakyBackend.attempts == 2
    assert len(mail.outbox) == 1
    assert InvoiceDelivery.objects.filter(invoice=invoice).count() == 1


@pytest.mark.django_db
def test_a_refused_email_records_no_delivery_and_names_no_address(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    invoice = issued_invoice()
    with pytest.raises(EmailRejected) as err:
        deliver_invoice_email(invoice_id=invoice.pk)
    assert "@" not in str(err.value)
    assert not InvoiceDelivery.objects.filter(invoice=invoice).exists()


@pytest.mark.django_db
def test_an_invoice_without_a_billing_contact_is_not_sent_and_says_why(
    eager_tasks, django_capture_on_commit_callbacks, caplog
):
    account = billable_account()
    draft = draft_invoice(account)
    account.contacts.update(is_billing_contact=False)  # after the run, which requires one
    with (
        caplog.at_level(logging.WARNING, logger="billing.tasks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invoice = issue_invoice(invoice=draft, actor=None)

    assert mail.outbox == []
    assert not InvoiceDelivery.objects.filter(invoice=invoice).exists()
    assert Invoice.objects.get(pk=invoice.pk).pdf  # the document is stored all the same
    assert f"Invoice {invoice.pk} was not delivered: no_billing_contact" in caplog.messages
    with pytest.raises(DomainValidationError) as err:
        deliver_invoice_email(invoice_id=invoice.pk)
    assert (err.value.field, err.value.code) == ("billing_contacts", "no_billing_contact")


@pytest.mark.django_db
def test_a_voided_invoice_is_not_sent():
    invoice = issued_invoice()
    void_invoice(invoice=invoice, actor=None, reason="Duplicate")
    with pytest.raises(DomainValidationError) as err:
        deliver_invoice_email(invoice_id=invoice.pk)
    assert (err.value.field, err.value.code) == ("status", "not_issued")
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_imported_invoice_is_not_sent_again():
    draft = draft_invoice()
    Invoice.objects.filter(pk=draft.pk).update(source=InvoiceSource.IMPORT)
    invoice = issue_invoice(invoice=draft, actor=None)
    with pytest.raises(DomainValidationError) as err:
        deliver_invoice_email(invoice_id=invoice.pk)
    assert (err.value.field, err.value.code) == ("source", "imported_invoice")
    assert mail.outbox == []


@pytest.mark.django_db
def test_delivery_logs_carry_ids_and_no_customer_data(caplog):
    invoice = issued_invoice(account_with_contacts())
    with caplog.at_level(logging.DEBUG):
        deliver_invoice_email(invoice_id=invoice.pk)
    assert len(mail.outbox) == 1
    logged = " ".join(caplog.messages)
    assert str(invoice.pk) in logged
    for customer_data in ["Acme", "acme.example", "12,000", "12000"]:
        assert customer_data not in logged


@pytest.mark.django_db
def test_the_sweep_queues_issued_invoices_that_have_no_delivery(eager_tasks):
    invoice = issued_invoice()  # on-commit hooks do not run here: no delivery was queued

    assert deliver_undelivered_invoices(older_than_minutes=0) == 1
    assert InvoiceDelivery.objects.filter(invoice=invoice).exists()
    assert deliver_undelivered_invoices(older_than_minutes=0) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_send_one_email(settings, without_issue_hooks):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    invoice = issued_invoice()
    start = threading.Barrier(2)
    results, errors = [], []

    def deliver():
        try:
            start.wait(timeout=10)
            results.append(deliver_invoice_email(invoice_id=invoice.pk).pk)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mail.outbox) == 1
    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    assert results == [delivery.pk, delivery.pk]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_given_the_same_delivery_twice_sends_one_email(settings, without_issue_hooks):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: a real Redis broker")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    invoice = issued_invoice()
    # A queue of its own: messages other tests leave in the default queue (their on-commit
    # hooks enqueue for real when REDIS_URL is set) stay out of this worker's way.
    queue = "ledgerline-test-invoice-delivery"
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)  # left over from an interrupted run
    finished: list[str] = []
    both_done = threading.Event()

    def on_postrun(sender=None, task_id=None, **kwargs):
        if sender.name == deliver_invoice.name:
            finished.append(task_id)
            if len(finished) == 2:
                both_done.set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            sent = [deliver_invoice.apply_async((invoice.pk,), queue=queue) for _ in range(2)]
            assert both_done.wait(timeout=60), "the worker did not run both messages"
    finally:
        task_postrun.disconnect(on_postrun)
        # The worker narrowed the app's queues to ours; give later workers the defaults.
        celery_app.amqp.queues = celery_app.conf.task_queues

    assert sorted(finished) == sorted(result.id for result in sent)
    assert len(mail.outbox) == 1
    assert InvoiceDelivery.objects.filter(invoice=invoice).count() == 1
