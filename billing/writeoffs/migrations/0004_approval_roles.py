from django.db import migrations


def grant_approvals(apps, schema_editor):
    from ordermgmt.roles import WRITEOFF_PERMISSIONS, grant

    grant(apps, WRITEOFF_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("writeoffs", "0003_approval_requests")]

    operations = [migrations.RunPython(grant_approvals, migrations.RunPython.noop)]
