from django.db import migrations


def grant_bank(apps, schema_editor):
    from ordermgmt.roles import BANK_PERMISSIONS, grant

    grant(apps, BANK_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("bank", "0001_bank_statements_and_matching"), ("ordermgmt", "0002_roles")]

    operations = [migrations.RunPython(grant_bank, migrations.RunPython.noop)]
