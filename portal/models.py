"""The customer portal's own records: sign-in links and what each contact did.

A billing contact is not a staff user: it signs in with a link e-mailed to it, sees one
account (the contact's), and everything it does is kept in PortalActivity."""

from __future__ import annotations

from django.db import models

from ordermgmt.models import Account, Contact


class PortalLink(models.Model):
    """A one-time sign-in link for one billing contact. Only the token's SHA-256 is
    stored, like an API token: a database reader cannot sign in as the customer."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "portal sign-in link"

    def __str__(self) -> str:
        return f"Sign-in link for {self.contact} ({self.created_at:%Y-%m-%d %H:%M})"


class PortalAction(models.TextChoices):
    LINK_SENT = "link_sent", "Sign-in link sent"
    SIGNED_IN = "signed_in", "Signed in"
    SIGNED_OUT = "signed_out", "Signed out"
    VIEWED_INVOICE = "viewed_invoice", "Viewed an invoice"
    DOWNLOADED_INVOICE = "downloaded_invoice", "Downloaded an invoice"
    DOWNLOADED_CREDIT_NOTE = "downloaded_credit_note", "Downloaded a credit note"
    DOWNLOADED_STATEMENT = "downloaded_statement", "Downloaded a statement"
    DOWNLOADED_EINVOICE = "downloaded_einvoice", "Downloaded an e-invoice"
    STARTED_PAYMENT = "started_payment", "Went to pay online"
    RAISED_DISPUTE = "raised_dispute", "Raised a dispute"


class PortalActivity(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="portal_activity")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="portal_activity")
    action = models.CharField(max_length=32, choices=PortalAction.choices)
    document = models.CharField(max_length=100, blank=True, help_text="Number of the document")
    detail = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "portal activity"
        verbose_name_plural = "portal activity"

    def __str__(self) -> str:
        return f"{self.contact} {self.get_action_display().lower()} {self.document}".strip()
