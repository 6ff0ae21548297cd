import logging
import os
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ordermgmt import roles, services
from tests.factories import PASSWORD, AccountFactory, ContactFactory, UserFactory, make_contract

pytestmark = pytest.mark.django_db


def test_login_is_locked_after_five_failures_even_with_the_right_password(client):
    user = UserFactory(role=roles.FINANCE)
    for _ in range(5):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_good_login_reaches_the_home_page(client):
    user = UserFactory(role=roles.FINANCE)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")


def test_posts_without_a_csrf_token_are_refused(specialist):
    client = Client(enforce_csrf_checks=True)
    client.force_login(specialist)
    contract = make_contract()
    response = client.post(f"/api/v1/contracts/{contract.pk}/submit/")
    assert response.status_code == 403
    response = client.post(
        reverse("admin:ordermgmt_contract_transition", args=[contract.pk, "submit"])
    )
    assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.status == "draft"


@pytest.mark.parametrize("password", ["short1", "password1234", "123456789012"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_customer_data_never_reaches_the_logs(caplog, specialist, deal_desk, client):
    account = AccountFactory(legal_name="Secretive Customer GmbH")
    ContactFactory(account=account, email="cfo@secretive.example")
    caplog.set_level(logging.DEBUG)
    contract = make_contract(account=account, actor=specialist, name="Secretive renewal")
    contract = services.submit_contract(contract=contract, actor=specialist)
    client.force_login(deal_desk)
    client.post(
        f"/api/v1/contracts/{contract.pk}/approve/",
        {"comment": "ok"},
        content_type="application/json",
    )
    client.get(f"/api/v1/accounts/{account.pk}/")
    client.get("/api/v1/contracts/99999999/")  # a 404 is logged as a warning
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Secretive" not in logged
    assert "secretive.example" not in logged
    assert "12000" not in logged


def test_the_redaction_filter_masks_email_addresses():
    from core.logging import RedactCustomerData

    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "mail to %s", ("a.b@c.example",), None
    )
    RedactCustomerData().filter(record)
    assert record.getMessage() == "mail to <redacted-email>"


def load_settings(env: dict) -> str:
    code = (
        "import json; from config import settings as s; print(json.dumps({k: getattr(s, k) "
        "for k in ['DEBUG','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_SSL_REDIRECT',"
        "'SECURE_HSTS_SECONDS','CELERY_TASK_ALWAYS_EAGER']}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "REDIS_URL",
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
        }
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_defaults_are_safe_with_debug_off():
    import json

    result = load_settings({"SECRET_KEY": "x" * 50})
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_demo_runs_tasks_eagerly_without_a_broker():
    import json

    values = json.loads(load_settings({"DEBUG": "1"}).stdout)
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    with_broker = json.loads(
        load_settings({"DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/0"}).stdout
    )
    assert with_broker["CELERY_TASK_ALWAYS_EAGER"] is False
