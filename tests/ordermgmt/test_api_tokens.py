"""API tokens: hashed at rest, shown once, expiring, revocable, never readable in the admin."""

import hashlib
import importlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from core.errors import DomainValidationError
from ordermgmt import roles
from ordermgmt.security.tokens import issue_api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts/"


def api_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_issued_on_its_page_is_shown_once_and_stored_only_as_a_digest(client):
    user = UserFactory(role=roles.ORDER_SPECIALIST)
    client.force_login(user)

    issued = client.post(reverse("api_tokens"), {"days": 30})

    assert issued.status_code == 201
    token = issued.context["new_token"]
    assert token in issued.content.decode()
    row = AuthToken.objects.get(user=user)
    assert row.digest == hashlib.sha512(token.encode()).hexdigest()
    assert token not in str(AuthToken.objects.filter(pk=row.pk).values().get())
    assert timedelta(days=29) < row.expiry - timezone.now() <= timedelta(days=30)
    assert token not in client.get(reverse("api_tokens")).content.decode()
    assert api_client(token).get(API).status_code == 200


def test_a_token_stops_working_when_it_expires():
    user = UserFactory(role=roles.ORDER_SPECIALIST)
    row, token = issue_api_token(user=user, days=1)
    assert api_client(token).get(API).status_code == 200

    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - timedelta(seconds=1))

    assert api_client(token).get(API).status_code in (401, 403)


def test_a_revoked_token_no_longer_works(client):
    user = UserFactory(role=roles.ORDER_SPECIALIST)
    row, token = issue_api_token(user=user)
    client.force_login(user)

    client.post(reverse("api_token_revoke"), {"token_key": row.token_key})

    assert not AuthToken.objects.exists()
    assert api_client(token).get(API).status_code in (401, 403)


def test_nobody_revokes_another_users_token_from_the_page(client):
    row, token = issue_api_token(user=UserFactory(role=roles.FINANCE))
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))

    client.post(reverse("api_token_revoke"), {"token_key": row.token_key})

    assert AuthToken.objects.filter(pk=row.pk).exists()


def test_a_token_valid_longer_than_the_maximum_is_refused_and_nothing_is_stored(settings):
    settings.API_TOKEN_TTL_DAYS = 90
    with pytest.raises(DomainValidationError) as err:
        issue_api_token(user=UserFactory(), days=91)
    assert (err.value.field, err.value.code) == ("days", "out_of_range")
    assert not AuthToken.objects.exists()


def test_the_admin_never_shows_a_token_and_issues_none(client):
    row, token = issue_api_token(user=UserFactory(role=roles.FINANCE))
    client.force_login(UserFactory(role=roles.ADMIN, is_superuser=True))

    listing = client.get(reverse("admin:knox_authtoken_changelist")).content.decode()
    detail = client.get(reverse("admin:knox_authtoken_change", args=[row.pk])).content.decode()

    for page in (listing, detail):
        assert token not in page
    assert "column-digest" not in listing and "field-digest" not in detail
    assert row.token_key in listing  # identifies the token to revoke
    assert client.get(reverse("admin:knox_authtoken_add")).status_code == 403


def test_an_admin_revokes_a_token_in_the_admin(client):
    row, token = issue_api_token(user=UserFactory(role=roles.FINANCE))
    client.force_login(UserFactory(role=roles.ADMIN, is_superuser=True))

    client.post(reverse("admin:knox_authtoken_delete", args=[row.pk]), {"post": "yes"})

    assert api_client(token).get(API).status_code in (401, 403)


def test_a_token_header_that_is_not_text_is_refused_not_a_server_error():
    response = Client().get(API, HTTP_AUTHORIZATION="Token \xff\xfe")
    assert response.status_code in (401, 403)


def test_the_command_prints_a_new_token_once():
    user = UserFactory(role=roles.FINANCE)
    out = StringIO()
    call_command("issue_api_token", user.username, "--days", "7", stdout=out, stderr=StringIO())
    token = out.getvalue().strip()
    assert api_client(token).get(API).status_code == 200


def test_plaintext_tokens_from_before_keep_working_as_digests_and_the_plaintext_is_dropped():
    user = UserFactory(role=roles.ORDER_SPECIALIST)
    old_key = "0123456789abcdef0123456789abcdef01234567"  # DRF authtoken: 40 hex characters
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamptz NOT NULL DEFAULT now(), user_id integer NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id) VALUES (%s, %s)", [old_key, user.pk]
        )
    migration = importlib.import_module("ordermgmt.migrations.0006_hash_api_tokens")
    from django.apps import apps

    with connection.schema_editor() as editor:
        migration.hash_existing_tokens(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert old_key not in str(list(AuthToken.objects.values()))
    assert api_client(old_key).get(API).status_code == 200
