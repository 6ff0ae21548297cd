"""Each role sees and changes exactly what it should, and gets 403 elsewhere.

Cost (one process, load 0.5-0.7): 8.4 s for the 108 tests, ~0.08 s a case (a user, a
login, one request; the OpenAPI schema cases ~0.5 s each, building the schema), 10.5 s at
load 4.4; 83 s was measured at load 6-13. Users are cheap since tests hash passwords with
MD5 (tests/conftest.py), so a fresh user per case is kept: no case sees another's writes.
"""

import pytest
from django.urls import reverse

from ordermgmt import roles, services
from tests.factories import AccountFactory, ProductFactory, UserFactory, make_contract

pytestmark = pytest.mark.django_db

OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)
EVERYONE = {OS, DD, FIN, AUD, ADM}


def contract_payload():
    return {
        "name": "Matrix deal",
        "account": AccountFactory().pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "USD",
        "lines": [{"product": ProductFactory().pk, "quantity": "2", "unit_price": "100"}],
    }


def in_status(status):
    contract = make_contract()
    if status in {"pending_review", "approved"}:
        contract = services.submit_contract(contract=contract, actor=None)
    if status == "approved":
        contract = services.approve_contract(contract=contract, actor=None, comment="ok")
    return contract


# name -> (request maker, roles allowed, status when allowed)
CASES = {
    "home page": (lambda c: c.get("/"), EVERYONE, 200),
    "contract list (API)": (lambda c: c.get("/api/v1/contracts/"), EVERYONE, 200),
    "contract detail (API)": (
        lambda c: c.get(f"/api/v1/contracts/{make_contract().pk}/"),
        EVERYONE,
        200,
    ),
    "create contract (API)": (
        lambda c: c.post("/api/v1/contracts/", contract_payload(), content_type="application/json"),
        {OS, ADM},
        201,
    ),
    "submit contract (API)": (
        lambda c: c.post(f"/api/v1/contracts/{in_status('draft').pk}/submit/"),
        {OS, ADM},
        200,
    ),
    "approve contract (API)": (
        lambda c: c.post(
            f"/api/v1/contracts/{in_status('pending_review').pk}/approve/",
            {"comment": "ok"},
            content_type="application/json",
        ),
        {DD, ADM},
        200,
    ),
    "reject contract (API)": (
        lambda c: c.post(
            f"/api/v1/contracts/{in_status('pending_review').pk}/reject/",
            {"comment": "no"},
            content_type="application/json",
        ),
        {DD, ADM},
        200,
    ),
    "activate contract (API)": (
        lambda c: c.post(
            f"/api/v1/contracts/{in_status('approved').pk}/activate/",
            {"confirm_catch_up": True},  # it started in the past: its catch-up is confirmed
            content_type="application/json",
        ),
        {OS, ADM},
        200,
    ),
    "cancel contract (API)": (
        lambda c: c.post(
            f"/api/v1/contracts/{in_status('draft').pk}/cancel/",
            {"comment": "lost"},
            content_type="application/json",
        ),
        {OS, ADM},
        200,
    ),
    "account list (API)": (lambda c: c.get("/api/v1/accounts/"), EVERYONE, 200),
    "edit account (API)": (
        lambda c: c.patch(
            f"/api/v1/accounts/{AccountFactory().pk}/",
            {"tax_id": "DE123"},
            content_type="application/json",
        ),
        {OS, FIN, ADM},
        200,
    ),
    "create account (API)": (
        lambda c: c.post(
            "/api/v1/accounts/",
            {"legal_name": "New Co", "default_currency": "EUR"},
            content_type="application/json",
        ),
        {OS, ADM},
        201,
    ),
    "create product (API)": (
        lambda c: c.post(
            "/api/v1/products/",
            {"sku": "NEW-1", "name": "New", "revenue_type": "usage"},
            content_type="application/json",
        ),
        {FIN, ADM},
        201,
    ),
    "opportunity list (API)": (lambda c: c.get("/api/v1/opportunities/"), EVERYONE, 200),
    "OpenAPI schema": (lambda c: c.get("/api/v1/schema/"), EVERYONE, 200),
    "contract list (admin)": (
        lambda c: c.get(reverse("admin:ordermgmt_contract_changelist")),
        EVERYONE,
        200,
    ),
    "add contract (admin)": (
        lambda c: c.get(reverse("admin:ordermgmt_contract_add")),
        {OS, ADM},
        200,
    ),
    "add product (admin)": (
        lambda c: c.get(reverse("admin:ordermgmt_product_add")),
        {FIN, ADM},
        200,
    ),
    "approve page (admin)": (
        lambda c: c.get(
            reverse(
                "admin:ordermgmt_contract_transition",
                args=[in_status("pending_review").pk, "approve"],
            )
        ),
        {DD, ADM},
        200,
    ),
    "users (admin)": (lambda c: c.get(reverse("admin:auth_user_changelist")), {ADM}, 200),
    "periodic tasks (admin)": (
        lambda c: c.get(reverse("admin:django_celery_beat_periodictask_changelist")),
        {ADM, AUD},
        200,
    ),
}


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize("case", sorted(CASES))
def test_role_matrix(client, role, case):
    make_request, allowed, ok_status = CASES[case]
    client.force_login(UserFactory(role=role))
    response = make_request(client)
    expected = ok_status if role in allowed else 403
    assert response.status_code == expected, (role, case, response.content[:300])


def test_a_user_without_a_role_is_refused_everywhere(client):
    client.force_login(UserFactory())
    assert client.get("/").status_code == 403
    assert client.get("/api/v1/contracts/").status_code == 403
    assert client.get(reverse("admin:ordermgmt_contract_changelist")).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get("/api/v1/contracts/").status_code in {401, 403}


def test_every_permission_the_roles_declare_exists():
    from django.contrib.auth.models import Group, Permission

    existing = {
        f"{app}.{code}"
        for app, code in Permission.objects.values_list("content_type__app_label", "codename")
    }
    declared = {p for perms in roles.all_role_permissions().values() for p in perms}
    assert declared - existing == set()
    for role, perms in roles.all_role_permissions().items():
        granted = {
            f"{app}.{code}"
            for app, code in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert set(perms) <= granted, role
