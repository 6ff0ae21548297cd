"""Copies each account's free-text tax id into the VAT number or company id field where
it checks out for the account's country (the tax id stays as it was), and splits an
address written whole into the street line into its fields when the country is empty.
`manage.py party_data_report` lists what could not be parsed."""

from django.db import migrations

from core.party import ids_from_text, parse_address


def forwards(apps, schema_editor):
    Account = apps.get_model("ordermgmt", "Account")
    for account in Account.objects.all().iterator():
        changed = False
        if not account.billing_country and account.billing_address_line1:
            parsed = parse_address(
                "\n".join(
                    p
                    for p in [
                        account.billing_address_line1,
                        account.billing_address_line2,
                        account.billing_city,
                    ]
                    if p
                )
            )
            if parsed.complete:
                account.billing_address_line1 = parsed.line1
                account.billing_address_line2 = parsed.line2
                account.billing_city = parsed.city
                account.billing_region = account.billing_region or parsed.region
                account.billing_postal_code = parsed.postal_code
                account.billing_country = parsed.country
                changed = True
        if account.tax_id and not (account.vat_id or account.company_id):
            ids, _problems = ids_from_text(account.tax_id, country=account.billing_country)
            for name, value in ids.items():
                setattr(account, name, value)
                changed = True
        if changed:
            account.save()


class Migration(migrations.Migration):
    dependencies = [("ordermgmt", "0008_account_einvoice_party_data")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
