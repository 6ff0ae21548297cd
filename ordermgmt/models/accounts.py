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

        error = country_error(self.billing_country, field="billing_country")
        if error:
            raise error.as_validation_error()

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
