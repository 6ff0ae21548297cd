"""Creates the five role groups and grants the commercial-record permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from ordermgmt.roles import ORDERMGMT_PERMISSIONS, grant

    grant(apps, ORDERMGMT_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("ordermgmt", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The Auditor also reads the beat schedules, so their permissions must exist.
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
