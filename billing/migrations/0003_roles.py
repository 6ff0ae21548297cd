from django.db import migrations


def grant_billing(apps, schema_editor):
    from ordermgmt.roles import BILLING_PERMISSIONS, grant

    grant(apps, BILLING_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_immutable_documents"), ("ordermgmt", "0002_roles")]

    operations = [migrations.RunPython(grant_billing, migrations.RunPython.noop)]
