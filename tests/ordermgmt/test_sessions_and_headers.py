"""Sessions (idle and absolute lifetime), password reset by e-mail, the security headers
of signed-in responses, and login throttling on the real client address behind a proxy."""

import re
import time
from datetime import date

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from billing.models import BillingRun, Invoice
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles
from ordermgmt.security.middleware import LOGIN_AT, SEEN_AT
from ordermgmt.security.tokens import issue_api_token
from tests.factories import PASSWORD, UserFactory, active_contract

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-passphrase-2026"


def logged_in(client, user) -> Client:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def set_clock(client, **seconds_ago) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "seen": SEEN_AT}[key]] = now - ago
    session.save()


# --- Sessions -------------------------------------------------------------------------


def test_a_session_idle_longer_than_the_idle_timeout_must_log_in_again(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    logged_in(client, UserFactory(role=roles.FINANCE))
    set_clock(client, login=1801, seen=1801)

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_session_in_use_ends_at_its_absolute_lifetime(client, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = 43200
    logged_in(client, UserFactory(role=roles.FINANCE))
    set_clock(client, login=43201, seen=5)

    response = client.get(reverse("home"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_activity_keeps_a_session_alive_and_moves_its_idle_clock(client, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    logged_in(client, UserFactory(role=roles.FINANCE))
    set_clock(client, login=1700, seen=1700)

    assert client.get(reverse("home")).status_code == 200

    assert int(time.time()) - client.session[SEEN_AT] < 5


def test_the_session_cookie_lasts_no_longer_than_the_absolute_lifetime(client, settings):
    response = client.post(
        reverse("login"),
        {"username": UserFactory(role=roles.FINANCE).username, "password": PASSWORD},
    )
    assert response.cookies["sessionid"]["max-age"] == settings.SESSION_ABSOLUTE_TIMEOUT
    assert response.cookies["sessionid"]["httponly"]


# --- Password reset -----------------------------------------------------------------------


def reset_link() -> str:
    (message,) = mail.outbox
    return re.search(r"https?://[^/]+(/password-reset/\S+/)", message.body).group(1)


def test_a_user_resets_a_forgotten_password_by_email_once(client):
    user = UserFactory(role=roles.FINANCE, email="ap.clerk@example.com")
    assert client.get(reverse("login")).content.decode().count('id="forgot-password"') == 1

    sent = client.post(reverse("password_reset"), {"email": "ap.clerk@example.com"})

    assert sent.status_code == 302 and sent.url == reverse("password_reset_done")
    assert mail.outbox[0].to == ["ap.clerk@example.com"]
    link = reset_link()
    form = client.get(link, follow=True)
    assert b'id="password-reset-confirm"' in form.content
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    again = Client().get(link, follow=True)
    assert b'id="invalid-link"' in again.content


def test_a_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_weak_new_password_is_refused_and_the_old_one_still_works(client):
    user = UserFactory(role=roles.FINANCE, email="ap.clerk@example.com")
    client.post(reverse("password_reset"), {"email": "ap.clerk@example.com"})
    form = client.get(reset_link(), follow=True)

    refused = client.post(
        form.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )

    assert refused.status_code == 200 and refused.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# --- Headers ------------------------------------------------------------------------------


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_signed_in_pages_are_not_stored_and_carry_csp_and_permissions_policy(client):
    client.force_login(UserFactory(role=roles.FINANCE))

    response = client.get(reverse("home"))

    assert no_store(response) and "private" in response["Cache-Control"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "camera=()" in response["Permissions-Policy"]


def test_api_responses_are_not_stored_for_token_clients_either():
    _, token = issue_api_token(user=UserFactory(role=roles.FINANCE))
    response = Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/accounts/")
    assert response.status_code == 200 and no_store(response)
    assert no_store(Client().get("/api/v1/accounts/"))  # refused calls too


def test_an_invoice_pdf_is_not_stored(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    active_contract()
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    client.force_login(UserFactory(role=roles.FINANCE))

    response = client.get(reverse("billing:invoice_pdf", args=[Invoice.objects.get().pk]))

    assert response["Content-Type"] == "application/pdf" and no_store(response)


def test_the_one_inline_script_carries_the_nonce_of_the_csp_header(client):
    from collections_app.reports.aging import AgingParams
    from collections_app.reports.export_jobs import request_export

    user = UserFactory(role=roles.FINANCE)
    job = request_export(
        user=user, report="aging", file_format="csv", params=AgingParams(as_of=date(2026, 1, 1))
    )
    client.force_login(user)

    response = client.get(reverse("ar_reports:export_job", args=[job.pk]))

    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in response.content.decode()


# --- Login throttling behind the proxy ----------------------------------------------------


def attempt(username: str, password: str, *, peer: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": peer}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client(**headers).post(reverse("login"), {"username": username, "password": password})


def test_one_clients_typos_behind_the_proxy_do_not_lock_the_user_out_elsewhere(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = UserFactory(role=roles.FINANCE)
    for _ in range(5):
        attempt(user.username, "wrong", peer="10.0.0.2", forwarded="203.0.113.5")

    from_elsewhere = attempt(user.username, PASSWORD, peer="10.0.0.2", forwarded="198.51.100.7")
    from_the_typist = attempt(user.username, PASSWORD, peer="10.0.0.2", forwarded="203.0.113.5")

    assert from_elsewhere.status_code == 302
    assert from_the_typist.status_code == 429


def test_a_client_cannot_escape_the_lockout_by_sending_its_own_forwarded_for(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = UserFactory(role=roles.FINANCE)
    for n in range(5):  # a spoofed left-most address each time, behind the real proxy
        attempt(user.username, "wrong", peer="10.0.0.2", forwarded=f"192.0.2.{n}, 203.0.113.5")
    assert (
        attempt(user.username, PASSWORD, peer="10.0.0.2", forwarded="203.0.113.5").status_code
        == 429
    )
    # Straight to the app (no trusted proxy in front): the header is not believed at all.
    for n in range(5):
        attempt(user.username, "wrong", peer="198.51.100.9", forwarded=f"192.0.2.{n}")
    assert attempt(user.username, PASSWORD, peer="198.51.100.9").status_code == 429
