"""In real headless Chromium: deal desk reviews a flagged contract; approval gates activation."""

import os
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from ordermgmt import roles, services
from ordermgmt.models import Contract, ContractStatus
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory
from tests.ordermgmt.dealdesk_factories import flagged_contract, priced_product, standard_line

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    """Set DEALDESK_SCREENSHOTS=<dir> to keep pictures of the pages for a look."""
    folder = os.environ.get("DEALDESK_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def pending_contract(specialist):
    lines = [standard_line(priced_product(sku="PLAT-SEAT"), discount_percent=Decimal("35"))]
    contract = flagged_contract(name="Globex platform renewal", lines=lines, actor=specialist)
    contract = services.submit_contract(contract=contract, actor=specialist)
    assert contract.status == ContractStatus.PENDING_REVIEW
    return contract


def test_deal_desk_sees_the_reasons_in_the_queue_and_approves_with_a_comment(live_server, page):
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    contract = pending_contract(specialist)
    reviewer = UserFactory(role=roles.DEAL_DESK)

    log_in(page, live_server, reviewer.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-dealdesk")
    row = page.locator("tr.review-row", has_text=contract.reference)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Payment terms longer than policy")
    expect(row).to_contain_text("Line discount above policy")
    screenshot(page, "queue")

    row.get_by_role("link", name=contract.reference).click()
    flags = page.locator("#flags")
    expect(flags).to_contain_text("Net 90 exceeds the Net 45 policy")
    expect(flags).to_contain_text("Line 1 (PLAT-SEAT) discount 35% exceeds the 20% policy")
    expect(flags).to_contain_text("DSO rises")
    expect(page.locator("#tcv")).to_have_text("$7,800.00")
    screenshot(page, "review")

    page.fill("#approve-form textarea", "Strategic logo: Net 90 and 35% accepted once.")
    page.click("#approve-form button")
    expect(page.locator(".messages li.success")).to_contain_text(f"{contract.reference} approved")
    expect(page.locator("#contract-status")).to_have_text("Approved")
    expect(page.locator("#history")).to_contain_text("Strategic logo: Net 90 and 35% accepted")
    expect(page.locator("#history")).to_contain_text(reviewer.username)
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.APPROVED


def test_an_order_specialist_has_no_approve_button_and_is_refused(live_server, page):
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    contract = pending_contract(specialist)
    review = contract.deal_desk_reviews.get()

    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/dealdesk/reviews/{review.pk}/")
    expect(page.locator("#flags")).to_contain_text("Net 90 exceeds the Net 45 policy")
    expect(page.locator("#no-decision")).to_be_visible()
    assert page.locator("#approve-form").count() == 0
    assert page.locator("#reject-form").count() == 0

    token = page.locator("#comment-form input[name=csrfmiddlewaretoken]").get_attribute("value")
    base = f"{live_server.url}/dealdesk/reviews/{review.pk}"
    refused = page.request.post(
        f"{base}/approve/", form={"csrfmiddlewaretoken": token, "approve-comment": "me"}
    )
    assert refused.status == 403
    commented = page.request.post(  # the same token works where the permission allows
        f"{base}/comment/", form={"csrfmiddlewaretoken": token, "comment-comment": "Why?"}
    )
    assert commented.ok
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_REVIEW


def test_activation_is_refused_before_approval_and_allowed_after(live_server, page):
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    contract = pending_contract(specialist)
    change_url = f"{live_server.url}/admin/ordermgmt/contract/{contract.pk}/change/"

    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(change_url)
    expect(page.locator(".deal-desk-box")).to_contain_text("Net 90 exceeds the Net 45 policy")
    assert page.locator("a.transition-activate").count() == 0
    page.goto(f"{live_server.url}/admin/ordermgmt/contract/{contract.pk}/transition/activate/")
    page.click("input[name=confirm]")
    expect(page.locator(".messagelist")).to_contain_text(
        "cannot move from Pending review to Active"
    )
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.PENDING_REVIEW

    services.approve_contract(
        contract=contract, actor=UserFactory(role=roles.DEAL_DESK), comment="Accepted"
    )
    page.goto(change_url)
    page.click("a.transition-activate")
    if page.locator("#id_confirm_catch_up").count():  # it started in the past
        page.check("#id_confirm_catch_up")
    page.click("input[name=confirm]")
    expect(page.locator(".messagelist")).to_contain_text("activate done; status now active")
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
