"""AR reports: two permissions without a model of their own (on ExportLog's content type)
and the role grants of ordermgmt.roles.REPORTS_PERMISSIONS."""

from django.db import migrations

CUSTOM_PERMISSIONS = [
    ("view_finance_reports", "Can view finance reports (DSO)"),
    ("import_open_ar", "Can import open AR (opening balances)"),
]


def create_and_grant(apps, schema_editor):
    from ordermgmt.roles import REPORTS_PERMISSIONS, grant

    grant(apps, {})  # creates the content types and model permissions first
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type = ContentType.objects.get(app_label="collections_app", model="exportlog")
    for codename, name in CUSTOM_PERMISSIONS:
        Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    grant(apps, REPORTS_PERMISSIONS)


def remove(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="collections_app",
        codename__in=[codename for codename, _ in CUSTOM_PERMISSIONS],
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0001_initial"),
        ("ordermgmt", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_and_grant, remove)]
