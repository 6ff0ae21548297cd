from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField, PaymentTermsField
from core.terms import PaymentTerms


class Account(models.Model):
    legal_name = models.CharField(max_length=200)
    billing_address_line1 = models.CharField(max_length=200, blank=True)
    billing_address_line2 = models.CharField(max_length=200, blank=True)
    billing_city = models.CharField(max_length=100, blank=True)
    billing_region = models.CharField(max_length=100, blank=True)
    billing_postal_code = models.CharField(max_length=20, blank=True)
    billing_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    tax_id = models.CharField(max_length=50, blank=True)
    tax_exempt = models.BooleanField(default=False)
    # Structured party data for e-invoices (EN 16931 BG-7/BG-8, BT-10, BT-13, BT-49).
    vat_id = models.CharField("VAT number", max_length=30, blank=True)
    company_id = models.CharField("company registration id", max_length=50, blank=True)
    tax_exemption_reason = models.CharField(
        max_length=200, blank=True, help_text="Printed on invoices when the account is tax exempt"
    )
    buyer_reference = models.CharField(
        max_length=100,
        blank=True,
        help_text="Their reference for routing (Leitweg-ID, cost centre)",
    )
    purchase_order_number = models.CharField(
        "default PO number", max_length=64, blank=True, help_text="Used when the contract has none"
    )
    peppol_endpoint_id = models.CharField(
        "Peppol endpoint id", max_length=60, blank=True, help_text="scheme:id, e.g. 9930:DE..."
    )
    einvoice_format = models.CharField(
        "e-invoice attached to e-mails",
        max_length=12,
        blank=True,
        choices=[
            ("", "None (PDF only)"),
            ("facturx-pdf", "Factur-X / ZUGFeRD PDF"),
            ("xrechnung", "XRechnung (CII XML)"),
            ("ubl", "UBL 2.1 / Peppol BIS 3.0 XML"),
        ],
    )
    default_currency = CurrencyField(default="USD")
    default_payment_terms = PaymentTermsField(default="NET30")
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["legal_name"]
        indexes = [models.Index(fields=["legal_name"])]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        from core.bounds import country_error
        from core.errors import DomainValidationError
        from core.party import clean_company_id, clean_peppol_id, clean_vat_id

        error = country_error(self.billing_country, field="billing_country")
        if error:
            raise error.as_validation_error()
        try:
            country = self.billing_country
            self.vat_id = clean_vat_id(self.vat_id, country=country, field="vat_id")
            self.company_id = clean_company_id(self.company_id, country=country, field="company_id")
            self.peppol_endpoint_id = clean_peppol_id(self.peppol_endpoint_id)
        except DomainValidationError as error:
            raise error.as_validation_error() from error

    @property
    def payment_terms(self) -> PaymentTerms:
        return PaymentTerms.parse(self.default_payment_terms)

    @property
    def billing_address(self) -> str:
        parts = [
            self.billing_address_line1,
            self.billing_address_line2,
            " ".join(p for p in [self.billing_postal_code, self.billing_city] if p),
            self.billing_region,
            self.billing_country,
        ]
        return "\n".join(p for p in parts if p)


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    is_billing_contact = models.BooleanField(default=True)
    salesforce_id = models.CharField(max_length=18, unique=True, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return self.name
