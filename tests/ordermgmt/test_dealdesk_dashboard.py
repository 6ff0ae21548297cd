"""The deal desk pages: queue filters and sorting, the SLA highlight, the review page,
decisions through the page, metrics, and who may see and do what."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ordermgmt import roles, services
from ordermgmt.dealdesk.selectors import deal_desk_metrics
from ordermgmt.models import ContractStatus, DealDeskReview, ReviewStatus
from tests.factories import UserFactory
from tests.ordermgmt.dealdesk_factories import (
    flagged_contract,
    priced_product,
    standard_contract,
    standard_line,
)

pytestmark = pytest.mark.django_db
QUEUE = reverse("dealdesk:queue")


def submitted(contract, actor=None):
    return services.submit_contract(contract=contract, actor=actor)


def review_of(contract) -> DealDeskReview:
    return contract.deal_desk_reviews.latest("opened_at")


def queue_refs(client, **params) -> list[str]:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return re.findall(r"CTR-\d{6}", response.content.decode().split('id="review-queue"')[-1])


@pytest.fixture
def desk(client, deal_desk):
    client.force_login(deal_desk)
    return client


def test_the_queue_lists_open_reviews_with_their_flag_types(desk):
    pending = submitted(flagged_contract(name="Net ninety deal"))
    auto = submitted(standard_contract(name="Standard deal"))
    body = desk.get(QUEUE).content.decode()
    assert pending.reference in body and "Net ninety deal" in body
    assert "Payment terms longer than policy" in body
    assert "Net 90 exceeds the Net 45 policy" in body  # the flag's tooltip
    assert auto.reference not in body


def test_the_queue_filters_by_flag_type_owner_age_value_and_currency(desk, specialist):
    other_owner = UserFactory(role=roles.ORDER_SPECIALIST)
    net90 = submitted(flagged_contract(actor=specialist), specialist)
    renewal = submitted(standard_contract(auto_renew=True, actor=other_owner), other_owner)
    big = submitted(standard_contract(lines=[standard_line(quantity=Decimal(250))]))
    eur = submitted(
        flagged_contract(currency="EUR", lines=[standard_line(priced_product(currency="EUR"))])
    )
    DealDeskReview.objects.filter(contract=net90).update(
        opened_at=timezone.now() - timedelta(days=5)
    )

    assert queue_refs(desk, flag="auto_renewal") == [renewal.reference]
    assert queue_refs(desk, owner=other_owner.pk) == [renewal.reference]
    assert queue_refs(desk, age="3") == [net90.reference]
    assert queue_refs(desk, min_value="100000") == [big.reference]
    assert queue_refs(desk, max_value="12000", currency="EUR") == [eur.reference]
    assert set(queue_refs(desk)) == {c.reference for c in [net90, renewal, big, eur]}


def test_the_queue_sorts_by_value_and_by_age(desk):
    small = submitted(flagged_contract())
    big = submitted(flagged_contract(lines=[standard_line(quantity=Decimal(100))]))
    DealDeskReview.objects.filter(contract=big).update(opened_at=timezone.now() - timedelta(days=2))
    assert queue_refs(desk, sort="-value") == [big.reference, small.reference]
    assert queue_refs(desk, sort="value") == [small.reference, big.reference]
    assert queue_refs(desk, sort="age") == [big.reference, small.reference]


def test_reviews_past_their_sla_are_highlighted_and_can_be_filtered(desk):
    late = submitted(flagged_contract())
    on_time = submitted(flagged_contract())
    DealDeskReview.objects.filter(contract=late).update(
        sla_due_at=timezone.now() - timedelta(hours=3)
    )
    body = desk.get(QUEUE).content.decode()
    late_row = re.search(rf'<tr class="review-row overdue"[^>]*>.*?{late.reference}', body, re.S)
    assert late_row is not None
    assert "SLA breached 3 h ago" in body
    assert not re.search(
        rf'class="review-row overdue"[^>]*>\s*<td><a[^>]*>{on_time.reference}', body
    )
    assert queue_refs(desk, overdue="on") == [late.reference]
    page = desk.get(reverse("dealdesk:review", args=[review_of(late).pk]))
    assert 'id="sla-breach"' in page.content.decode()


def test_the_review_page_shows_value_lines_ramp_flags_and_history(desk, specialist, deal_desk):
    seats = priced_product(sku="PLAT-SEAT")
    ramp = standard_line(
        seats,
        discount_percent=Decimal("25"),
        ramp_steps=[
            services.RampStepInput(date(2026, 1, 1), date(2026, 6, 30), Decimal(10), Decimal(1200)),
            services.RampStepInput(
                date(2026, 7, 1), date(2026, 12, 31), Decimal(20), Decimal(1200)
            ),
        ],
    )
    contract = submitted(flagged_contract(lines=[ramp]), specialist)
    services.comment_on_review(
        review=review_of(contract), actor=specialist, comment="Customer insists on Net 90"
    )
    body = desk.get(reverse("dealdesk:review", args=[review_of(contract).pk])).content.decode()
    # 10 x 900 x 0.5 + 20 x 900 x 0.5 = 13,500 over one year
    assert 'id="tcv">$13,500.00<' in body and 'id="acv">$13,500.00<' in body
    assert "Net 90 exceeds the Net 45 policy" in body
    assert "Line 1 (PLAT-SEAT) discount 25% exceeds the 20% policy" in body
    assert "ramps over 2 steps" in body and "unbilled asset builds up" in body
    assert 'id="ramp"' in body and "2026-07-01 – 2026-12-31" in body
    assert "−25%" in body  # effective price against list
    assert "Customer insists on Net 90" in body and specialist.username in body
    assert 'id="approve-form"' in body and 'id="reject-form"' in body


def test_deal_desk_approves_on_the_page_with_a_required_comment(desk, specialist):
    contract = submitted(flagged_contract(), specialist)
    url = reverse("dealdesk:decide", args=[review_of(contract).pk, "approve"])
    response = desk.post(url, {"approve-comment": " "})
    assert response.status_code == 400
    assert "A comment is required" in response.content.decode()
    contract.refresh_from_db()
    assert contract.status == ContractStatus.PENDING_REVIEW

    response = desk.post(url, {"approve-comment": "Net 90 for a strategic logo"}, follow=True)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED
    assert f"{contract.reference} approved." in response.content.decode()


def test_deal_desk_rejects_on_the_page_back_to_draft(desk, specialist):
    contract = submitted(flagged_contract(), specialist)
    url = reverse("dealdesk:decide", args=[review_of(contract).pk, "reject"])
    desk.post(url, {"reject-comment": "Offer Net 45"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT
    assert review_of(contract).status == ReviewStatus.REJECTED


def test_the_second_approval_of_a_large_deal_comes_from_another_person(client, specialist):
    contract = submitted(standard_contract(lines=[standard_line(quantity=Decimal(250))]))
    first, second = UserFactory(role=roles.DEAL_DESK), UserFactory(role=roles.DEAL_DESK)
    url = reverse("dealdesk:decide", args=[review_of(contract).pk, "approve"])
    client.force_login(first)
    body = client.post(url, {"approve-comment": "one"}, follow=True).content.decode()
    assert "needs 2 distinct approvers" in body
    assert "already approved" in body  # the form is replaced by the reason
    client.force_login(second)
    client.post(url, {"approve-comment": "two"})
    contract.refresh_from_db()
    assert contract.status == ContractStatus.APPROVED


def test_an_order_specialist_sees_the_review_but_cannot_approve(client, specialist):
    contract = submitted(flagged_contract())
    review = review_of(contract)
    client.force_login(specialist)
    page = client.get(reverse("dealdesk:review", args=[review.pk]))
    assert page.status_code == 200
    assert 'id="approve-form"' not in page.content.decode()
    url = reverse("dealdesk:decide", args=[review.pk, "approve"])
    assert client.post(url, {"approve-comment": "sneaky"}).status_code == 403
    contract.refresh_from_db()
    assert contract.status == ContractStatus.PENDING_REVIEW


def test_the_submitter_sees_why_they_cannot_approve(client, deal_desk):
    contract = submitted(flagged_contract(), deal_desk)
    client.force_login(deal_desk)
    body = client.get(reverse("dealdesk:review", args=[review_of(contract).pk])).content.decode()
    assert "You submitted this contract" in body
    assert 'id="approve-form"' not in body and 'id="reject-form"' in body


@pytest.mark.parametrize("name", ["queue", "metrics", "rules"])
def test_pages_need_a_login_and_the_view_permission(client, name):
    url = reverse(f"dealdesk:{name}")
    assert client.get(url).status_code == 302
    client.force_login(UserFactory())  # staff, no role
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_role_reads_the_queue_and_sees_the_nav_link(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(QUEUE).status_code == 200
    assert 'class="nav-dealdesk"' in client.get("/").content.decode()


def test_the_contract_link_opens_its_latest_review(desk):
    contract = submitted(flagged_contract())
    response = desk.get(reverse("dealdesk:contract", args=[contract.pk]))
    assert response.url == reverse("dealdesk:review", args=[review_of(contract).pk])


def test_metrics_count_reviews_time_to_decision_and_approval_rate_per_flag(deal_desk):
    approved = submitted(flagged_contract())
    rejected = submitted(standard_contract(payment_terms="NET90", auto_renew=True))
    submitted(standard_contract())  # auto-approved: not a review
    DealDeskReview.objects.filter(contract=approved).update(
        opened_at=timezone.now() - timedelta(hours=10)
    )
    DealDeskReview.objects.filter(contract=rejected).update(
        opened_at=timezone.now() - timedelta(hours=30)
    )
    services.approve_contract(contract=approved, actor=deal_desk, comment="ok")
    services.reject_contract(contract=rejected, actor=deal_desk, comment="no")

    stats = deal_desk_metrics(today=timezone.localdate())
    assert sum(w.opened for w in stats.weeks) == 2
    assert (stats.decided, stats.approved, stats.auto_approved) == (2, 1, 1)
    assert stats.median_hours == Decimal("20.0")
    rates = {t.rule_type: (t.decided, t.approved, t.approval_rate) for t in stats.flag_types}
    assert rates == {"payment_terms": (2, 1, Decimal(50)), "auto_renewal": (1, 0, Decimal(0))}


def test_the_metrics_page_draws_inline_svg_charts(desk, deal_desk):
    contract = submitted(flagged_contract())
    services.approve_contract(contract=contract, actor=deal_desk, comment="ok")
    body = desk.get(reverse("dealdesk:metrics")).content.decode()
    assert body.count("<svg") == 3
    assert "Approval rate per flag type" in body and "100% of 1" in body
    # The charts need no script (the page frame carries the top-bar search's one).
    main = body.split("<main")[1].split("</main>")[0]
    assert "<script" not in main and "http" not in body.split("<main")[1]


def test_the_rules_page_lists_the_policy_and_links_admins_to_edit(client):
    client.force_login(UserFactory(role=roles.AUDITOR))
    body = client.get(reverse("dealdesk:rules")).content.decode()
    assert "Payment terms beyond Net 45" in body and "above 45 days to due" in body
    assert "Edit the rules" not in body
    client.force_login(UserFactory(role=roles.ADMIN))
    assert "Edit the rules" in client.get(reverse("dealdesk:rules")).content.decode()


def test_the_home_page_counts_open_and_late_reviews_for_deal_desk(desk):
    late = submitted(flagged_contract())
    submitted(flagged_contract())
    DealDeskReview.objects.filter(contract=late).update(sla_due_at=timezone.now())
    body = desk.get("/").content.decode()
    assert "2 reviews open" in body and "1 past SLA" in body
