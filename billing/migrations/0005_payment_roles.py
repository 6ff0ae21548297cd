from django.db import migrations


def grant_payments(apps, schema_editor):
    from ordermgmt.roles import BILLING_PERMISSIONS, grant

    grant(apps, BILLING_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_payments")]

    operations = [migrations.RunPython(grant_payments, migrations.RunPython.noop)]
