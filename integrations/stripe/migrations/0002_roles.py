from django.db import migrations


def grant_stripe(apps, schema_editor):
    from ordermgmt.roles import STRIPE_PERMISSIONS, grant

    grant(apps, STRIPE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("stripe_billing", "0001_initial"), ("ordermgmt", "0002_roles")]

    operations = [migrations.RunPython(grant_stripe, migrations.RunPython.noop)]
