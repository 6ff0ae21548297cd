from django.db import models
from simple_history.models import HistoricalRecords

from core.fields import CurrencyField


class TaxRounding(models.TextChoices):
    """How the seller rounds tax (research section 1.3), a property of the seller because
    the law and the e-invoice rules it issues under decide it, not the deal. The stored
    values are the ones invoices already record in `Invoice.tax_rounding`."""

    LINE = "line", "Per line: each line's tax rounded"
    PER_RATE = "total", "Per rate (EN 16931): each VAT category's tax rounded once"


class LegalEntity(models.Model):
    """The seller: whose name, tax id and bank details are on the invoice."""

    name = models.CharField(max_length=200)
    address = models.TextField(help_text="As printed before structured addresses; kept as it was.")
    tax_id = models.CharField(max_length=50, blank=True)
    remit_to = models.TextField(help_text="Bank name, IBAN/account, SWIFT, reference to quote.")
    # Structured party data for e-invoices (EN 16931 BG-4/BG-5, BG-17).
    address_line1 = models.CharField("street", max_length=200, blank=True)
    address_line2 = models.CharField("address line 2", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state or region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    vat_id = models.CharField("VAT number", max_length=30, blank=True)
    company_id = models.CharField(
        "company registration id", max_length=50, blank=True, help_text="e.g. EIN, HRB, SIREN"
    )
    phone = models.CharField(max_length=40, blank=True, help_text="Billing contact phone")
    bank_name = models.CharField(max_length=100, blank=True)
    bank_account_number = models.CharField(
        max_length=34, blank=True, help_text="Where the bank has no IBAN (e.g. US)"
    )
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    peppol_endpoint_id = models.CharField(
        "Peppol endpoint id", max_length=60, blank=True, help_text="scheme:id, e.g. 0088:..."
    )
    invoice_prefix = models.CharField(max_length=12, default="INV-")
    credit_note_prefix = models.CharField(max_length=12, default="CN-")
    email = models.EmailField(blank=True)
    is_default = models.BooleanField(default=False)
    # EN 16931 (BR-CO-17, BR-S-09) wants each VAT category's tax to be its base times its
    # rate, rounded once; per-line rounding drifts from it by up to half a minor unit a
    # line (a JPY invoice of a few lines fails). E-invoicing sellers need per rate, and any
    # invoice here may go out as an e-invoice, so per rate is the default.
    tax_rounding = models.CharField(
        max_length=8,
        choices=TaxRounding.choices,
        default=TaxRounding.PER_RATE,
        help_text="Applies to invoices drafted from now on, tax-exclusive and tax-inclusive "
        "prices alike, and to their credit notes; issued invoices keep theirs.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "legal entities"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_entity",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from core.bounds import country_error
        from core.errors import DomainValidationError
        from core.party import (
            clean_bic,
            clean_company_id,
            clean_iban,
            clean_peppol_id,
            clean_vat_id,
        )

        try:
            error = country_error(self.country, field="country")
            if error:
                raise error
            self.vat_id = clean_vat_id(self.vat_id, country=self.country, field="vat_id")
            self.company_id = clean_company_id(
                self.company_id, country=self.country, field="company_id"
            )
            self.iban = clean_iban(self.iban)
            self.bic = clean_bic(self.bic)
            self.peppol_endpoint_id = clean_peppol_id(self.peppol_endpoint_id)
        except DomainValidationError as error:
            raise error.as_validation_error() from error


class VatCategory(models.TextChoices):
    """EN 16931 VAT category codes (UNTDID 5305) an invoice line may carry."""

    STANDARD = "S", "Standard rate"
    ZERO = "Z", "Zero rated"
    EXEMPT = "E", "Exempt from VAT"
    REVERSE_CHARGE = "AE", "Reverse charge"
    INTRA_COMMUNITY = "K", "Intra-community supply (VAT exempt)"
    EXPORT = "G", "Export outside the EU (free export)"
    OUTSIDE_SCOPE = "O", "Outside the scope of VAT"


class DocumentType(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    WRITE_OFF = "write_off", "Write-off"


class NumberSeries(models.Model):
    """The next number of a gapless series, per legal entity, document type and year.

    Issuing locks this row (SELECT ... FOR UPDATE) in the issuing transaction, so a
    rolled-back issue gives its number back and parallel issuers queue up.
    """

    legal_entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT)
    document_type = models.CharField(max_length=16, choices=DocumentType.choices)
    year = models.PositiveIntegerField()
    prefix = models.CharField(max_length=12)
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "number series"
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "document_type", "year"], name="one_series_per_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year} ({self.document_type}) next {self.next_number}"

    def format(self, number: int) -> str:
        return f"{self.prefix}{self.year}-{number:06d}"


class TaxRate(models.Model):
    """A sales tax / VAT rate for a jurisdiction, valid from a date (and to a date)."""

    country = models.CharField(max_length=2, help_text="ISO 3166 alpha-2 of the buyer")
    region = models.CharField(max_length=100, blank=True, help_text="Empty: the whole country")
    name = models.CharField(max_length=100)
    percent = models.DecimalField(max_digits=7, decimal_places=4)
    category = models.CharField(
        "VAT category",
        max_length=2,
        choices=VatCategory.choices,
        default=VatCategory.STANDARD,
        help_text="EN 16931 category of the lines taxed at this rate",
    )
    exemption_reason = models.CharField(
        max_length=200, blank=True, help_text="Printed on the invoice for Z, E, AE, K, G, O"
    )
    exemption_reason_code = models.CharField(
        max_length=30, blank=True, help_text="VATEX code, e.g. VATEX-EU-O"
    )
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Inclusive; empty: open")

    history = HistoricalRecords()

    class Meta:
        ordering = ["country", "region", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="tax_percent_0_to_100"
            )
        ]

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} {self.percent}% ({where} from {self.effective_from})"


class FxRate(models.Model):
    """Reporting-currency conversion (as-of rates for multi-currency totals)."""

    currency = CurrencyField()
    reporting_currency = CurrencyField(default="USD")
    rate_date = models.DateField()
    rate = models.DecimalField(max_digits=19, decimal_places=8)

    # Who entered or corrected a rate by hand (the API, the admin); bulk loads write none.
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "reporting_currency", "rate_date"], name="one_fx_rate_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.reporting_currency} on {self.rate_date}"
