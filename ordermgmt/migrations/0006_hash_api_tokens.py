"""API tokens move from DRF's authtoken (plaintext keys) to django-rest-knox (a SHA-512
digest): each existing key keeps working, now stored as its digest and expiring
API_TOKEN_TTL_DAYS after this migration; the plaintext table is dropped."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS

PLAINTEXT_TABLE = "authtoken_token"


def hash_existing_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if PLAINTEXT_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id FROM {PLAINTEXT_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    expiry = timezone.now() + timedelta(days=getattr(settings, "API_TOKEN_TTL_DAYS", 90))
    AuthToken.objects.bulk_create(
        AuthToken(
            digest=hash_token(key),
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
        )
        for key, user_id in rows
    )
    schema_editor.execute(f"DROP TABLE {PLAINTEXT_TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("ordermgmt", "0005_dealdesk_defaults"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
