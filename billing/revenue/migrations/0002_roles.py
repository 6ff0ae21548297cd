from django.db import migrations


def grant_revenue(apps, schema_editor):
    from ordermgmt.roles import REVENUE_PERMISSIONS, grant

    grant(apps, REVENUE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("revenue", "0001_initial"), ("ordermgmt", "0002_roles")]

    operations = [migrations.RunPython(grant_revenue, migrations.RunPython.noop)]
