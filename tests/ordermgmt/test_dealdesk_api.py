"""/api/v1/dealdesk/: reviews with flags and decisions, decisions through the services,
rules readable by every role and editable by Admin only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ordermgmt import roles, services
from ordermgmt.models import ContractStatus, DealDeskReview, DealDeskRule
from tests.factories import UserFactory
from tests.ordermgmt.dealdesk_factories import flagged_contract, standard_contract, standard_line

pytestmark = pytest.mark.django_db
REVIEWS = "/api/v1/dealdesk/reviews/"
RULES = "/api/v1/dealdesk/rules/"


def pending(contract=None, actor=None):
    contract = services.submit_contract(contract=contract or flagged_contract(), actor=actor)
    return contract, contract.deal_desk_reviews.get(status="open")


def as_role(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def test_the_review_list_carries_contract_flags_and_decisions(client, specialist):
    contract, review = pending(actor=specialist)
    as_role(client, roles.DEAL_DESK)
    body = client.get(REVIEWS).json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert set(item) == {
        "id",
        "contract",
        "status",
        "trigger",
        "submitted_by",
        "opened_at",
        "sla_due_at",
        "is_overdue",
        "decided_at",
        "required_approvals",
        "approvals",
        "currency",
        "tcv_amount",
        "acv_amount",
        "flags",
        "decisions",
    }
    assert item["contract"]["reference"] == contract.reference
    assert item["contract"]["status"] == "pending_review"
    assert item["submitted_by"] == specialist.username
    assert (item["status"], item["approvals"], item["required_approvals"]) == ("open", 0, 1)
    (flag,) = item["flags"]
    assert flag["reason"] == "Net 90 exceeds the Net 45 policy"
    assert flag["rule_type"] == "payment_terms"
    assert flag["figures"]["days_to_due"] == "90"
    assert flag["consequence"].startswith("Net 90: DSO rises")


def test_reviews_filter_by_flag_type_value_status_and_sla(client):
    _, net90 = pending()
    _, big = pending(standard_contract(lines=[standard_line(quantity=Decimal(250))]))
    services.submit_contract(contract=standard_contract(), actor=None)  # auto-approved
    DealDeskReview.objects.filter(pk=net90.pk).update(sla_due_at=timezone.now() - timedelta(1))
    as_role(client, roles.AUDITOR)

    def ids(**params):
        return [r["id"] for r in client.get(REVIEWS, params).json()["results"]]

    assert ids(rule_type="contract_value") == [big.pk]
    assert ids(min_value="100000") == [big.pk]
    assert ids(overdue="true") == [net90.pk]
    assert ids(status="open", ordering="-tcv_amount") == [big.pk, net90.pk]
    assert len(ids(status="auto_approved")) == 1


def test_approve_and_reject_go_through_the_services(client, specialist):
    contract, review = pending(actor=specialist)
    as_role(client, roles.DEAL_DESK)
    missing = post(client, f"{REVIEWS}{review.pk}/approve/")
    assert missing.status_code == 400
    assert (missing.json()["field"], missing.json()["code"]) == ("comment", "required")

    response = post(client, f"{REVIEWS}{review.pk}/approve/", {"comment": "Net 90 accepted"})
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["contract"]["status"] == "approved"
    (decision,) = response.json()["decisions"]
    assert (decision["kind"], decision["comment"]) == ("approve", "Net 90 accepted")

    again = post(client, f"{REVIEWS}{review.pk}/approve/", {"comment": "twice"})
    assert (again.status_code, again.json()["code"]) == (400, "illegal_transition")

    other, other_review = pending(actor=specialist)
    response = post(client, f"{REVIEWS}{other_review.pk}/reject/", {"comment": "Offer Net 45"})
    assert response.json()["status"] == "rejected"
    other.refresh_from_db()
    assert other.status == ContractStatus.DRAFT


def test_the_same_approver_twice_is_refused_with_field_and_code(client):
    _, review = pending(standard_contract(lines=[standard_line(quantity=Decimal(250))]))
    as_role(client, roles.DEAL_DESK)
    assert post(client, f"{REVIEWS}{review.pk}/approve/", {"comment": "one"}).status_code == 200
    response = post(client, f"{REVIEWS}{review.pk}/approve/", {"comment": "two"})
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("actor", "already_approved")


@pytest.mark.parametrize("role", [roles.ORDER_SPECIALIST, roles.FINANCE, roles.AUDITOR])
def test_only_deal_desk_and_admin_may_approve_or_reject(client, role):
    contract, review = pending()
    as_role(client, role)
    for decision in ["approve", "reject"]:
        response = post(client, f"{REVIEWS}{review.pk}/{decision}/", {"comment": "x"})
        assert response.status_code == 403
    contract.refresh_from_db()
    assert contract.status == ContractStatus.PENDING_REVIEW


def test_specialists_may_comment_and_finance_may_not(client):
    _, review = pending()
    as_role(client, roles.ORDER_SPECIALIST)
    response = post(client, f"{REVIEWS}{review.pk}/comment/", {"comment": "Customer asks why"})
    assert response.status_code == 200
    assert response.json()["decisions"][0]["kind"] == "comment"
    as_role(client, roles.FINANCE)
    assert post(client, f"{REVIEWS}{review.pk}/comment/", {"comment": "x"}).status_code == 403


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_role_reads_the_rules(client, role):
    as_role(client, role)
    body = client.get(RULES).json()
    assert body["count"] == DealDeskRule.objects.count()
    assert {"rule_type", "threshold", "allowed_values", "required_approvals"} <= set(
        body["results"][0]
    )


def rule_payload(**overrides):
    return {
        "name": "Payment terms beyond Net 60",
        "rule_type": "payment_terms",
        "threshold": "60",
        "severity": "low",
        **overrides,
    }


@pytest.mark.parametrize("role", [roles.DEAL_DESK, roles.ORDER_SPECIALIST, roles.AUDITOR])
def test_only_admin_creates_or_changes_rules(client, role):
    as_role(client, role)
    assert post(client, RULES, rule_payload()).status_code == 403
    rule = DealDeskRule.objects.get(rule_type="line_discount")
    response = client.patch(
        f"{RULES}{rule.pk}/", {"threshold": "50"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_an_admin_creates_and_changes_rules_with_validation(client):
    as_role(client, roles.ADMIN)
    created = post(client, RULES, rule_payload())
    assert created.status_code == 201, created.content
    rule = DealDeskRule.objects.get(pk=created.json()["id"])
    assert rule.threshold == 60
    response = client.patch(
        f"{RULES}{rule.pk}/", {"active": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["active"] is False
    bad = post(client, RULES, rule_payload(name="No threshold", threshold=None))
    assert bad.status_code == 400 and bad.json()["field"] == "threshold"
    bad = post(client, RULES, rule_payload(name="Odd", rule_type="currency", allowed_values="XYZ"))
    assert bad.status_code == 400 and bad.json()["field"] == "allowed_values"
    assert client.delete(f"{RULES}{rule.pk}/").status_code == 405


def test_the_openapi_schema_documents_the_deal_desk_endpoints(client):
    as_role(client, roles.AUDITOR)
    schema = client.get("/api/v1/schema/").content.decode()
    for path in [
        "/api/v1/dealdesk/reviews/",
        "/api/v1/dealdesk/reviews/{id}/approve/",
        "/api/v1/dealdesk/reviews/{id}/reject/",
        "/api/v1/dealdesk/rules/{id}/",
    ]:
        assert path in schema
    assert "rule_type" in schema and "min_value" in schema


def test_deal_desk_permissions_follow_the_roles():
    deal_desk, specialist, auditor, admin = (
        UserFactory(role=role)
        for role in [roles.DEAL_DESK, roles.ORDER_SPECIALIST, roles.AUDITOR, roles.ADMIN]
    )
    assert deal_desk.has_perms(["ordermgmt.view_dealdeskreview", "ordermgmt.approve_contract"])
    assert not deal_desk.has_perm("ordermgmt.change_dealdeskrule")
    assert specialist.has_perm("ordermgmt.view_dealdeskrule")
    assert not specialist.has_perm("ordermgmt.approve_contract")
    assert auditor.has_perm("ordermgmt.view_dealdeskreview")
    assert not auditor.has_perm("ordermgmt.add_dealdeskrule")
    assert admin.has_perms(["ordermgmt.add_dealdeskrule", "ordermgmt.change_dealdeskrule"])
