"""In real headless Chromium: each role logs in and sees its own home page."""

import pytest

from ordermgmt import roles, services
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory, make_contract

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EXPECTED_HEADLINE = {
    roles.ORDER_SPECIALIST: "Drafts to submit",
    roles.DEAL_DESK: "waiting for deal desk review",
    roles.FINANCE: "Active contracts to bill and collect",
    roles.AUDITOR: "Read-only overview",
    roles.ADMIN: "Everything, including users",
}


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_logs_in_and_sees_its_home_page(live_server, page, role):
    pending = services.submit_contract(contract=make_contract(name="Pending deal"), actor=None)
    make_contract(name="Draft deal")
    user = UserFactory(role=role)

    log_in(page, live_server, user.username, PASSWORD)

    page.wait_for_url(f"{live_server.url}/")
    assert page.locator(".role-badge").all_inner_texts() == [role]
    assert EXPECTED_HEADLINE[role] in page.locator(".headlines").inner_text()
    tiles = page.locator(".tile.status-pending_review .count").inner_text()
    assert tiles == "1"
    waiting = page.locator("#waiting").inner_text() if page.locator("#waiting").count() else ""
    if role in {roles.DEAL_DESK, roles.ADMIN}:
        assert pending.reference in waiting
    if role == roles.ORDER_SPECIALIST:
        assert "Draft deal" in waiting and pending.reference not in waiting
    if role == roles.AUDITOR:
        assert waiting == ""


def test_a_wrong_password_keeps_the_user_on_the_login_page(live_server, page):
    user = UserFactory(role=roles.FINANCE)
    log_in(page, live_server, user.username, "not-the-password")
    assert "didn't match" in page.locator(".error").inner_text()
    assert page.url.endswith("/login/")
