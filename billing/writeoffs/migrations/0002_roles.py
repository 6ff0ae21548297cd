from django.db import migrations


def grant_write_offs(apps, schema_editor):
    from ordermgmt.roles import WRITEOFF_PERMISSIONS, grant

    grant(apps, WRITEOFF_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("writeoffs", "0001_write_offs"), ("ordermgmt", "0002_roles")]

    operations = [migrations.RunPython(grant_write_offs, migrations.RunPython.noop)]
