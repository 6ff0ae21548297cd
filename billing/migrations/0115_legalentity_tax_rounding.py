"""The tax rounding rule becomes the seller's (LegalEntity.tax_rounding), replacing the
LEDGERLINE_TAX_ROUNDING setting. New sellers round per rate (EN 16931). Existing sellers
round per rate if their invoices go out, or can go out, as EN 16931 e-invoices: an EU or
Japanese seller, one with a Peppol endpoint, one with the structured party data an
e-invoice needs (street, city, country and an e-mail), one with an invoice whose customer
takes e-invoices or that has one rendered. The others (free-text sellers outside the EU
and Japan) keep what the setting gave them until now, per line by default."""

from django.conf import settings
from django.db import migrations, models

# Frozen copy of core.party.EU_COUNTRIES, plus Japan (its qualified invoices round the
# consumption tax once per rate and invoice).
PER_RATE_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "JP",
}  # fmt: skip


def seller_rules(apps, schema_editor):
    LegalEntity = apps.get_model("billing", "LegalEntity")
    Invoice = apps.get_model("billing", "Invoice")
    EInvoiceFile = apps.get_model("billing", "EInvoiceFile")
    before = getattr(settings, "LEDGERLINE_TAX_ROUNDING", "line")
    before = "total" if before == "total" else "line"
    for entity in LegalEntity.objects.all():
        e_invoicing = (
            entity.country.upper() in PER_RATE_COUNTRIES
            or bool(entity.peppol_endpoint_id)
            or bool(entity.country and entity.city and entity.address_line1 and entity.email)
            or Invoice.objects.filter(legal_entity=entity)
            .exclude(account__einvoice_format="")
            .exists()
            or EInvoiceFile.objects.filter(invoice__legal_entity=entity).exists()
            or EInvoiceFile.objects.filter(credit_note__invoice__legal_entity=entity).exists()
        )
        rule = "total" if e_invoicing else before
        LegalEntity.objects.filter(pk=entity.pk).update(tax_rounding=rule)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0114_invoice_issued_as_of_index'),
        ('ordermgmt', '0008_account_einvoice_party_data'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicallegalentity',
            name='tax_rounding',
            field=models.CharField(choices=[('line', "Per line: each line's tax rounded"), ('total', "Per rate (EN 16931): each VAT category's tax rounded once")], default='total', help_text='Applies to invoices drafted from now on, tax-exclusive and tax-inclusive prices alike, and to their credit notes; issued invoices keep theirs.', max_length=8),
        ),
        migrations.AddField(
            model_name='legalentity',
            name='tax_rounding',
            field=models.CharField(choices=[('line', "Per line: each line's tax rounded"), ('total', "Per rate (EN 16931): each VAT category's tax rounded once")], default='total', help_text='Applies to invoices drafted from now on, tax-exclusive and tax-inclusive prices alike, and to their credit notes; issued invoices keep theirs.', max_length=8),
        ),
        migrations.RunPython(seller_rules, migrations.RunPython.noop),
    ]
