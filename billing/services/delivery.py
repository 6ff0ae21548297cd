"""Invoice delivery: the issued invoice's PDF, e-mailed once to the account's billing
contacts, and recorded as the invoice's one `InvoiceDelivery`.

One e-mail per invoice, however often the task runs
---------------------------------------------------
The delivery task may run twice: Celery retries it, a message is delivered twice, two
workers pick up duplicates. `deliver_invoice_email` therefore locks the invoice row
(SELECT ... FOR UPDATE) in one transaction, returns the existing delivery if there is
one, and otherwise sends and records the delivery before it commits. A second run waits
on the lock and then finds the delivery. The lock is held for one SMTP conversation,
bounded by `EMAIL_TIMEOUT` (30 s when unset).

The window that remains, and how it is kept small
-------------------------------------------------
No database transaction can include the SMTP server. If the process dies after the
server has accepted the message and before COMMIT, the delivery is not recorded and a
redelivered task (acks_late, reject_on_worker_lost) sends a second e-mail: delivery is
at-least-once in that window. It is kept to the COMMIT alone:

- everything that can fail runs before the send: the PDF is rendered and stored (in its
  own transaction, so a failed send never throws it away), the stored file is checked
  against its SHA-256, the recipients are resolved, the `InvoiceDelivery` row is
  inserted (so a constraint would fail now, not after the send);
- the Message-ID is fixed per invoice and document (`<invoice.{number}.{sha}@domain>`),
  so a duplicate that does slip through carries the same Message-ID, which mail servers
  and clients use to fold duplicates;
- an error after the server accepted the message (the COMMIT failing) raises
  `DeliveryOutcomeUnknown`, which the task does not retry: a second e-mail is worse than
  a human checking one invoice.

Errors that happen before the server accepts (connection refused, timeout, 4xx) leave
nothing recorded and are retried with backoff by the task.

Not sent, and nothing recorded (DomainValidationError): a draft or void invoice, an
invoice imported from another system (that system sent it), and an account without a
billing contact with an e-mail address; the PDF is stored all the same.

Customer data (names, addresses, amounts) never goes into log messages: ids only.
"""

from __future__ import annotations

import logging
import re
import smtplib
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import OperationalError, transaction
from django.utils import timezone

from billing.documents.pdf import read_stored_invoice_pdf, store_invoice_pdf
from billing.error_codes import BillingError
from billing.models import Invoice, InvoiceDelivery, InvoiceSource, InvoiceStatus
from billing.selectors.online_payment import pay_online_url
from core.errors import DomainValidationError
from core.money import format_money
from core.terms import PaymentTerms
from ordermgmt.models import Contact

logger = logging.getLogger(__name__)

DEFAULT_EMAIL_TIMEOUT = 30  # seconds; the invoice row stays locked for at most this long


class TransientEmailError(Exception):
    """The mail server answered 4xx (try again later); nothing was sent."""


class EmailRejected(Exception):
    """The mail server refused the message for good (5xx); nothing was sent."""


class DeliveryOutcomeUnknown(Exception):
    """The server accepted the e-mail but recording the delivery failed. Not retried:
    check the mail log for the Message-ID before resending by hand."""


# What the task retries: nothing was accepted by the mail server, so trying again
# cannot send a second e-mail. (SMTPServerDisconnected and SMTPConnectError are also
# OSErrors; OperationalError covers a database that is briefly unreachable.)
TRANSIENT_DELIVERY_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
    TransientEmailError,
    OperationalError,
)


def billing_contact_emails(account_id: int) -> list[str]:
    """The account's billing contacts' addresses, each once (case-insensitively)."""
    seen: set[str] = set()
    recipients = []
    contacts = Contact.objects.filter(account_id=account_id, is_billing_contact=True)
    for email in contacts.exclude(email="").order_by("name", "pk").values_list("email", flat=True):
        email = email.strip()
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append(email)
    return recipients


def _message_id(invoice: Invoice) -> str:
    """The same for every attempt at one invoice's e-mail (see the module docstring)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "ledgerline.invalid"
    number = re.sub(r"[^A-Za-z0-9._-]", "-", invoice.number)
    return f"<invoice.{number}.{invoice.pdf_sha256[:16]}@{domain}>"


def _sender(invoice: Invoice) -> str:
    entity = invoice.legal_entity
    if entity.email:
        return formataddr((entity.name, entity.email))
    return settings.DEFAULT_FROM_EMAIL


def _body(invoice: Invoice) -> str:
    currency = invoice.currency
    entity = invoice.legal_entity
    lines = [
        "Hello,",
        "",
        f"Please find attached invoice {invoice.number} from {entity.name}.",
        "",
        f"Amount due: {format_money(invoice.open_amount, currency)}",
        f"Due date:   {invoice.due_date.day} {invoice.due_date:%b %Y} "
        f"({PaymentTerms.parse(invoice.payment_terms).label})",
    ]
    if invoice.po_number:
        lines.append(f"PO number:  {invoice.po_number}")
    if entity.remit_to:
        lines += ["", "Payment details:", entity.remit_to]
    online = pay_online_url(invoice)
    if online:
        lines += ["", f"Pay online: {online}"]
    lines += [
        "",
        f"Please quote {invoice.number} as the payment reference.",
        "",
        entity.name,
    ]
    return "\n".join(lines) + "\n"


def _invoice_email(invoice: Invoice, recipients: list[str], connection) -> EmailMessage:
    entity = invoice.legal_entity
    message = EmailMessage(
        subject=f"Invoice {invoice.number} from {entity.name}",
        body=_body(invoice),
        from_email=_sender(invoice),
        to=recipients,
        reply_to=[entity.email] if entity.email else None,
        headers={"Message-ID": _message_id(invoice)},
        connection=connection,
    )
    message.attach(f"{invoice.number}.pdf", read_stored_invoice_pdf(invoice), "application/pdf")
    _attach_einvoice(message, invoice)
    return message


def _attach_einvoice(message: EmailMessage, invoice: Invoice) -> None:
    """The e-invoice the account asked for (Factur-X PDF, XRechnung or UBL) beside the
    PDF. One that cannot be made (data missing) is logged by id and the PDF still goes:
    the invoice page names what is missing."""
    syntax = invoice.account.einvoice_format
    if not syntax:
        return
    from billing.einvoice import render_einvoice  # the PDF renderer imports services

    try:
        filename, content_type, content = render_einvoice(document=invoice, syntax=syntax)
    except DomainValidationError as error:
        logger.error(
            "Invoice %s: no %s e-invoice attached (%s on %s)",
            invoice.pk,
            syntax,
            error.code,
            error.field,
        )
        return
    message.attach(filename, content, content_type)


def _send(message: EmailMessage, invoice_id: int) -> None:
    """Sends, turning SMTP refusals into errors that carry ids only: the server's reply
    (and SMTPRecipientsRefused) would put customer addresses into task logs."""
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        if all(400 <= code < 500 for code in codes):
            raise TransientEmailError(f"Invoice {invoice_id}: recipients deferred") from None
        raise EmailRejected(f"Invoice {invoice_id}: recipients refused") from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError):
        raise
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientEmailError(
                f"Invoice {invoice_id}: mail server answered {exc.smtp_code}"
            ) from None
        raise EmailRejected(f"Invoice {invoice_id}: mail server answered {exc.smtp_code}") from None


def _require_sendable(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.ISSUED:
        raise DomainValidationError(
            field="status",
            code=BillingError.NOT_ISSUED,
            message=f"Only an issued invoice is sent; invoice {invoice.pk} is {invoice.status}.",
        )
    if invoice.source == InvoiceSource.IMPORT:
        raise DomainValidationError(
            field="source",
            code=BillingError.IMPORTED_INVOICE,
            message=f"Invoice {invoice.number} was imported: the system that issued it sent it.",
        )


def _require_recipients(invoice: Invoice, recipients: list[str]) -> None:
    if not recipients:
        raise DomainValidationError(
            field="billing_contacts",
            code=BillingError.NO_BILLING_CONTACT,
            message=(
                f"Invoice {invoice.number} was not sent: its account has no billing contact "
                "with an e-mail address. Add one, then send the invoice again."
            ),
        )


def deliver_invoice_email(*, invoice_id: int) -> InvoiceDelivery:
    """E-mails the issued invoice's PDF to the account's billing contacts, once.

    Returns the invoice's delivery: the one made now, or the one an earlier or concurrent
    run made (then nothing is sent). Raises DomainValidationError and records nothing
    when the invoice is not issued (`not_issued`: draft or void), was imported from
    another system (`imported_invoice`), or its account has no billing contact with an
    e-mail (`no_billing_contact`). See the module docstring for the guarantees.
    """
    existing = InvoiceDelivery.objects.filter(invoice_id=invoice_id).first()
    if existing is not None:
        return existing
    invoice = Invoice.objects.get(pk=invoice_id)
    _require_sendable(invoice)
    # Stored in its own transaction: the document exists from the first attempt on, even
    # when the e-mail has to wait, and every retry attaches the same bytes.
    store_invoice_pdf(invoice)

    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_EMAIL_TIMEOUT
    accepted = False
    try:
        with transaction.atomic(durable=True):
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("legal_entity")
                .get(pk=invoice_id)
            )
            existing = InvoiceDelivery.objects.filter(invoice=invoice).first()
            if existing is not None:
                return existing  # a concurrent run sent it while we waited for the lock
            _require_sendable(invoice)  # voided while we waited?
            recipients = billing_contact_emails(invoice.account_id)
            _require_recipients(invoice, recipients)
            connection = get_connection(timeout=timeout)
            message = _invoice_email(invoice, recipients, connection)
            delivery = InvoiceDelivery.objects.create(
                invoice=invoice,
                recipients=recipients,
                sent_at=timezone.now(),
                message_id=message.extra_headers["Message-ID"],
            )
            _send(message, invoice_id)
            accepted = True
    except Exception as exc:
        if accepted:
            logger.error(
                "Invoice %s: e-mail accepted by the mail server but the delivery was not "
                "recorded (%s); not retrying, to avoid a second e-mail",
                invoice_id,
                type(exc).__name__,
            )
            raise DeliveryOutcomeUnknown(
                f"Invoice {invoice_id}: e-mail sent, delivery not recorded"
            ) from None
        raise
    logger.info(
        "Invoice %s sent to %s billing contact(s), delivery %s",
        invoice_id,
        len(recipients),
        delivery.pk,
    )
    return delivery
