"""Resend invoice: recorded with who asked, e-mailed once from a worker with its own
Message-ID; refused for a draft, changing nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from billing.models import InvoiceResend
from billing.services.delivery import deliver_invoice_email
from billing.services.resend import resend_invoice, send_invoice_resend
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.billing.page_helpers import logged_in
from tests.billing.test_delivery import draft_invoice, issued_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_a_resend_is_recorded_and_emailed_once_with_its_own_message_id(
    specialist, django_capture_on_commit_callbacks
):
    invoice = issued_invoice()
    first = deliver_invoice_email(invoice_id=invoice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        resend = resend_invoice(invoice=invoice, actor=specialist)
    resend.refresh_from_db()
    assert (resend.requested_by, resend.sent_at is not None) == (specialist, True)
    assert len(mail.outbox) == 2
    again = mail.outbox[1]
    assert again.subject == mail.outbox[0].subject
    assert again.extra_headers["Message-ID"] == resend.message_id != first.message_id
    send_invoice_resend(resend_id=resend.pk)  # a retried task
    assert len(mail.outbox) == 2


def test_a_draft_cannot_be_resent_and_nothing_is_recorded(specialist):
    draft = draft_invoice()
    with pytest.raises(DomainValidationError) as err:
        resend_invoice(invoice=draft, actor=specialist)
    assert err.value.field == "status"
    assert InvoiceResend.objects.count() == 0


def test_the_invoice_page_resends_and_says_to_whom(client, django_capture_on_commit_callbacks):
    invoice = issued_invoice()
    user = logged_in(client, roles.ORDER_SPECIALIST)
    html = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    url = reverse("billing:invoice_action", args=[invoice.pk, "resend"])
    assert f'action="{url}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "will be e-mailed again to" in response.content.decode()
    assert InvoiceResend.objects.get().requested_by == user
    assert len(mail.outbox) == 1


def test_resending_is_refused_without_the_issue_right(client):
    invoice = issued_invoice()
    logged_in(client, roles.AUDITOR)
    response = client.post(reverse("billing:invoice_action", args=[invoice.pk, "resend"]))
    assert response.status_code == 403
    assert InvoiceResend.objects.count() == 0
