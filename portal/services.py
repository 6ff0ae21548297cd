"""What a billing contact can do in the portal, each action recorded in PortalActivity."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing.models import Invoice
from collections_app.models import CollectionActivity
from collections_app.services.activities import open_dispute
from core.errors import DomainValidationError
from ordermgmt.models import Contact
from portal.error_codes import PortalError
from portal.models import PortalAction, PortalActivity, PortalLink


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def record_portal_action(
    *, contact: Contact, action: str, document: str = "", detail: str = "", ip: str | None = None
) -> PortalActivity:
    return PortalActivity.objects.create(
        contact=contact,
        account_id=contact.account_id,
        action=action,
        document=document[:100],
        detail=detail[:300],
        ip_address=ip or None,
    )


def send_sign_in_links(*, email: str, link_for: Callable[[str], str], ip: str | None = None) -> int:
    """E-mails a link to each billing contact with this address, one per account (a person
    who pays for two accounts gets two links, each opening one). Returns how many were
    sent; the page never says, so the form cannot be used to find customers' addresses."""
    contacts = Contact.objects.filter(
        email__iexact=email.strip(), is_billing_contact=True
    ).select_related("account")
    lifetime = timedelta(minutes=settings.PORTAL_LINK_MINUTES)
    for contact in contacts:
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            PortalLink.objects.create(
                contact=contact, token_hash=_hash(token), expires_at=timezone.now() + lifetime
            )
            record_portal_action(contact=contact, action=PortalAction.LINK_SENT, ip=ip)
        context = {
            "contact": contact,
            "link": link_for(token),
            "minutes": settings.PORTAL_LINK_MINUTES,
        }
        send_mail(
            subject=f"Your sign-in link for {contact.account.legal_name}",
            message=render_to_string("portal/email_sign_in.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[contact.email],
        )
    return len(contacts)


@transaction.atomic
def sign_in_with_link(*, token: str, ip: str | None = None) -> Contact:
    """Uses the link up: it opens one session, once, before it expires."""
    link = (
        PortalLink.objects.select_for_update()
        .select_related("contact__account")
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        raise DomainValidationError(
            field="link", code=PortalError.LINK_INVALID, message="This sign-in link is not valid."
        )
    if link.used_at is not None:
        raise DomainValidationError(
            field="link",
            code=PortalError.LINK_USED,
            message="This sign-in link was already used. Ask for a new one.",
        )
    if link.expires_at <= timezone.now():
        raise DomainValidationError(
            field="link",
            code=PortalError.LINK_EXPIRED,
            message="This sign-in link has expired. Ask for a new one.",
        )
    if not link.contact.is_billing_contact:
        raise DomainValidationError(
            field="link",
            code=PortalError.LINK_INVALID,
            message="This address is no longer a billing contact of the account.",
        )
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    record_portal_action(contact=link.contact, action=PortalAction.SIGNED_IN, ip=ip)
    return link.contact


def raise_dispute(
    *,
    contact: Contact,
    invoice: Invoice,
    reason: str,
    amount: Decimal,
    note: str,
    ip: str | None = None,
) -> CollectionActivity:
    """The customer's dispute lands in the collections worklist like one AR recorded,
    and pauses dunning on the invoice until it is resolved."""
    if invoice.account_id != contact.account_id:
        raise DomainValidationError(
            field="invoice", code=PortalError.NOT_OPEN, message="No such invoice."
        )
    said = f"Raised in the customer portal by {contact.name} <{contact.email}>."
    dispute = open_dispute(
        invoice=invoice,
        reason=reason,
        amount=amount,
        actor=None,
        note=f"{said}\n{note}".strip(),
        account=contact.account,
    )
    record_portal_action(
        contact=contact,
        action=PortalAction.RAISED_DISPUTE,
        document=invoice.number or "",
        detail=f"{reason}: {amount} {invoice.currency}",
        ip=ip,
    )
    return dispute
