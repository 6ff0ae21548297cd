"""Submitting routes a contract through the deal desk rules; approvals gate activation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainValidationError
from ordermgmt import roles, services
from ordermgmt.models import (
    Contract,
    ContractStatus,
    DealDeskReview,
    ReviewStatus,
    ReviewTrigger,
    RuleType,
)
from tests.factories import UserFactory, contract_terms
from tests.ordermgmt.dealdesk_factories import (
    flagged_contract,
    priced_product,
    rule,
    standard_contract,
    standard_line,
)

pytestmark = pytest.mark.django_db


def big_contract(**terms):
    """TCV $300,000 at list price: only the contract-value rule flags (two approvers)."""
    return standard_contract(lines=[standard_line(quantity=Decimal("250"))], **terms)


def reasons_of(contract):
    return [r.history_change_reason for r in Contract.history.filter(id=contract.pk)]


def open_review(contract) -> DealDeskReview:
    return contract.deal_desk_reviews.get(status=ReviewStatus.OPEN)


def test_a_contract_with_no_flag_is_approved_on_submit_and_audited(specialist):
    contract = services.submit_contract(contract=standard_contract(), actor=specialist)
    assert contract.status == ContractStatus.APPROVED
    assert "contract.auto_approved: no non-standard terms" in reasons_of(contract)
    review = contract.deal_desk_reviews.get()
    assert review.status == ReviewStatus.AUTO_APPROVED
    assert not review.flags.exists()


def test_a_flagged_contract_waits_with_its_flags_and_an_sla(specialist):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    assert contract.status == ContractStatus.PENDING_REVIEW
    assert "contract.submitted" in reasons_of(contract)
    review = open_review(contract)
    assert [f.reason for f in review.flags.all()] == ["Net 90 exceeds the Net 45 policy"]
    assert review.flags.get().figures["days_to_due"] == "90"
    assert review.submitted_by == specialist
    assert review.sla_due_at - review.opened_at == timedelta(hours=48)  # the default
    assert review.tcv_amount == Decimal("12000")


def test_the_tightest_sla_of_the_flagged_rules_applies(specialist):
    lines = [standard_line(discount_percent=Decimal("30"))]  # line discount: 24 h SLA
    contract = services.submit_contract(contract=flagged_contract(lines=lines), actor=specialist)
    review = open_review(contract)
    assert review.sla_due_at - review.opened_at == timedelta(hours=24)


def test_pending_review_blocks_activation_and_approval_allows_it(specialist, deal_desk):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        services.activate_contract(contract=contract, actor=specialist)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")

    contract = services.approve_contract(contract=contract, actor=deal_desk, comment="Net 90 ok")
    assert contract.status == ContractStatus.APPROVED
    review = contract.deal_desk_reviews.get()
    assert review.status == ReviewStatus.APPROVED and review.decided_at is not None
    contract = services.activate_contract(contract=contract, actor=specialist)
    assert contract.status == ContractStatus.ACTIVE


def test_an_approval_needs_a_comment(specialist, deal_desk):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        services.approve_contract(contract=contract, actor=deal_desk, comment="   ")
    assert (err.value.field, err.value.code) == ("comment", "required")
    assert not open_review(contract).decisions.exists()


def test_above_the_threshold_two_distinct_approvers_are_needed(specialist, deal_desk):
    contract = services.submit_contract(contract=big_contract(), actor=specialist)
    review = open_review(contract)
    assert review.required_approvals == 2

    contract = services.approve_contract(contract=contract, actor=deal_desk, comment="first")
    assert contract.status == ContractStatus.PENDING_REVIEW

    with pytest.raises(DomainValidationError) as err:
        services.approve_contract(contract=contract, actor=deal_desk, comment="again")
    assert (err.value.field, err.value.code) == ("actor", "already_approved")
    assert review.decisions.count() == 1

    second = UserFactory(role=roles.DEAL_DESK)
    contract = services.approve_contract(contract=contract, actor=second, comment="second")
    assert contract.status == ContractStatus.APPROVED
    assert [d.actor for d in review.decisions.all()] == [deal_desk, second]


def test_the_submitter_cannot_approve_their_own_contract(deal_desk):
    contract = services.submit_contract(contract=flagged_contract(), actor=deal_desk)
    with pytest.raises(DomainValidationError) as err:
        services.approve_contract(contract=contract, actor=deal_desk, comment="mine")
    assert (err.value.field, err.value.code) == ("actor", "own_submission")
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_REVIEW


def test_an_admin_may_approve_a_contract_they_submitted():
    admin = UserFactory(role=roles.ADMIN)
    contract = services.submit_contract(contract=flagged_contract(), actor=admin)
    contract = services.approve_contract(contract=contract, actor=admin, comment="admin ok")
    assert contract.status == ContractStatus.APPROVED


def test_rejection_returns_to_draft_with_the_reasons(specialist, deal_desk):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    contract = services.reject_contract(
        contract=contract, actor=deal_desk, comment="Net 90 not accepted; offer Net 45"
    )
    assert contract.status == ContractStatus.DRAFT
    review = contract.deal_desk_reviews.get()
    assert review.status == ReviewStatus.REJECTED
    assert review.flags.get().reason == "Net 90 exceeds the Net 45 policy"
    assert review.decisions.get().comment == "Net 90 not accepted; offer Net 45"
    assert "contract.rejected: Net 90 not accepted; offer Net 45" in reasons_of(contract)

    services.update_contract(
        contract=contract,
        terms=contract_terms(payment_terms="NET45"),
        lines=None,
        actor=specialist,
    )
    contract = services.submit_contract(contract=contract, actor=specialist)
    assert contract.status == ContractStatus.APPROVED  # resubmitted within policy


def test_editing_a_flagged_term_after_approval_reopens_the_review(specialist, deal_desk):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    contract = services.approve_contract(contract=contract, actor=deal_desk, comment="ok")

    contract = services.update_contract(
        contract=contract,
        terms=contract_terms(payment_terms="NET60"),
        lines=None,
        actor=specialist,
    )
    assert contract.status == ContractStatus.PENDING_REVIEW
    review = open_review(contract)
    assert review.trigger == ReviewTrigger.CHANGED
    assert [f.reason for f in review.flags.all()] == ["Net 60 exceeds the Net 45 policy"]
    assert reasons_of(contract)[0].startswith("contract.review_reopened: Net 60 exceeds")
    with pytest.raises(DomainValidationError):
        services.activate_contract(contract=contract, actor=specialist)


def test_a_change_that_adds_no_new_flag_keeps_the_approval(specialist, deal_desk):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    contract = services.approve_contract(contract=contract, actor=deal_desk, comment="ok")
    contract = services.update_contract(
        contract=contract,
        terms=contract_terms(payment_terms="NET90", name="Renamed deal", po_number="PO-1"),
        lines=None,
        actor=specialist,
    )
    assert contract.status == ContractStatus.APPROVED
    assert contract.deal_desk_reviews.count() == 1


def test_a_new_flag_on_an_auto_approved_contract_opens_a_review(specialist):
    contract = services.submit_contract(contract=standard_contract(), actor=specialist)
    contract = services.update_contract(
        contract=contract, terms=contract_terms(auto_renew=True), lines=None, actor=specialist
    )
    assert contract.status == ContractStatus.PENDING_REVIEW
    assert open_review(contract).flags.get().rule_type == RuleType.AUTO_RENEWAL


def test_changing_a_draft_does_nothing_special(specialist):
    contract = flagged_contract()
    contract = services.update_contract(
        contract=contract, terms=contract_terms(payment_terms="NET60"), lines=None, actor=specialist
    )
    assert contract.status == ContractStatus.DRAFT
    assert not contract.deal_desk_reviews.exists()


def test_changing_a_pending_contract_replaces_its_review_and_its_approvals(specialist, deal_desk):
    contract = services.submit_contract(contract=big_contract(), actor=specialist)
    services.approve_contract(contract=contract, actor=deal_desk, comment="first of two")
    first = open_review(contract)

    contract = services.update_contract(
        contract=contract,
        terms=contract_terms(),
        lines=[standard_line(quantity=Decimal("300"))],  # 360,000 now
        actor=specialist,
    )
    assert contract.status == ContractStatus.PENDING_REVIEW
    first.refresh_from_db()
    assert first.status == ReviewStatus.SUPERSEDED
    second = open_review(contract)
    assert second.decisions.count() == 0
    assert "$360,000.00" in second.flags.get().reason

    with pytest.raises(DomainValidationError) as err:
        services.approve_contract(contract=contract, actor=deal_desk, comment="x", review=first)
    assert (err.value.field, err.value.code) == ("review", "review_closed")


def test_a_pending_contract_whose_flags_are_fixed_is_approved(specialist):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    contract = services.update_contract(
        contract=contract, terms=contract_terms(payment_terms="NET30"), lines=None, actor=specialist
    )
    assert contract.status == ContractStatus.APPROVED
    assert contract.deal_desk_reviews.filter(status=ReviewStatus.SUPERSEDED).count() == 1


def test_cancelling_a_pending_contract_withdraws_its_review(specialist):
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    services.cancel_contract(contract=contract, actor=specialist, comment="lost")
    assert contract.deal_desk_reviews.get().status == ReviewStatus.WITHDRAWN


def test_approving_or_resubmitting_outside_pending_review_is_refused(specialist, deal_desk):
    draft = flagged_contract()
    with pytest.raises(DomainValidationError) as err:
        services.approve_contract(contract=draft, actor=deal_desk, comment="x")
    assert err.value.code == "illegal_transition"
    approved = services.submit_contract(contract=standard_contract(), actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        services.submit_contract(contract=approved, actor=specialist)
    assert err.value.code == "illegal_transition"


def test_a_long_comment_is_kept_whole_on_the_decision(specialist, deal_desk):
    comment = "Accepted because " + "the customer is strategic; " * 10
    contract = services.submit_contract(contract=flagged_contract(), actor=specialist)
    services.approve_contract(contract=contract, actor=deal_desk, comment=comment)
    review = contract.deal_desk_reviews.get()
    assert review.decisions.get().comment == comment.strip()
    assert len(reasons_of(contract)[0]) <= 100


def test_raising_the_discount_threshold_in_the_admin_changes_the_outcome(client, specialist):
    discounted = [standard_line(priced_product(), discount_percent=Decimal("25"))]
    before = services.submit_contract(contract=standard_contract(lines=discounted), actor=None)
    assert before.status == ContractStatus.PENDING_REVIEW

    line_rule = rule(RuleType.LINE_DISCOUNT)
    total_rule = rule(RuleType.TOTAL_DISCOUNT)
    admin = UserFactory(role=roles.ADMIN)
    client.force_login(admin)
    for changed, threshold in [(line_rule, "30"), (total_rule, "30")]:
        response = client.post(
            reverse("admin:ordermgmt_dealdeskrule_change", args=[changed.pk]),
            {
                "name": changed.name,
                "rule_type": changed.rule_type,
                "description": changed.description,
                "active": "on",
                "severity": changed.severity,
                "threshold": threshold,
                "threshold_currency": "",
                "allowed_values": "",
                "fx_rates": "{}",
                "required_approvals": "1",
                "sla_hours": "",
            },
        )
        assert response.status_code == 302, response.content[:500]
    assert rule(RuleType.LINE_DISCOUNT).threshold == 30
    change = rule(RuleType.LINE_DISCOUNT).history.latest()  # who changed the policy, when
    assert (change.history_user, change.threshold) == (admin, 30)

    discounted = [standard_line(priced_product(), discount_percent=Decimal("25"))]
    after = services.submit_contract(contract=standard_contract(lines=discounted), actor=None)
    assert after.status == ContractStatus.APPROVED


def test_the_admin_refuses_a_rule_without_its_threshold(client):
    client.force_login(UserFactory(role=roles.ADMIN))
    response = client.post(
        reverse("admin:ordermgmt_dealdeskrule_add"),
        {
            "name": "Terms",
            "rule_type": "payment_terms",
            "severity": "low",
            "fx_rates": "{}",
            "required_approvals": "1",
        },
    )
    assert response.status_code == 200
    assert "needs a threshold" in response.content.decode()


def test_the_admin_approve_button_records_one_of_two_approvals(client, specialist, deal_desk):
    contract = services.submit_contract(contract=big_contract(), actor=specialist)
    client.force_login(deal_desk)
    url = reverse("admin:ordermgmt_contract_transition", args=[contract.pk, "approve"])
    response = client.post(url, {"comment": "fine by me"}, follow=True)
    assert "status now pending review" in response.content.decode()
    assert open_review(contract).decisions.count() == 1
