"""Moves each legal entity's free-text address, tax id and remittance details into the
structured fields (the text stays as it was), and gives each tax rate its EN 16931 VAT
category: a positive rate is standard (S); a 0 % rate is zero rated (Z) in the EU and
the UK, elsewhere outside the scope of VAT (O). `manage.py party_data_report` lists
what could not be parsed."""

from django.db import migrations

from core.party import EU_COUNTRIES, seller_fields_from_text


def forwards(apps, schema_editor):
    LegalEntity = apps.get_model("billing", "LegalEntity")
    for entity in LegalEntity.objects.all():
        fields, _problems = seller_fields_from_text(
            address=entity.address, tax_id=entity.tax_id, remit_to=entity.remit_to
        )
        for name, value in fields.items():
            if not getattr(entity, name):
                setattr(entity, name, value)
        entity.save()
    TaxRate = apps.get_model("billing", "TaxRate")
    for rate in TaxRate.objects.filter(percent=0):
        zero_rated = rate.country in EU_COUNTRIES or rate.country == "GB"
        rate.category = "Z" if zero_rated else "O"
        if not zero_rated:
            rate.exemption_reason = rate.exemption_reason or "Not subject to VAT"
            rate.exemption_reason_code = rate.exemption_reason_code or "VATEX-EU-O"
        rate.save()


class Migration(migrations.Migration):
    dependencies = [("billing", "0106_einvoice_party_data_and_vat_categories")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
