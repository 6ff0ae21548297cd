"""403, 404 and 500 pages in the console's look, as served with DEBUG off."""

import pytest
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

from ordermgmt import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def styled(html: str) -> bool:
    return "ledgerline/console" in html and 'class="topbar"' in html and 'class="card' in html


def test_a_page_the_role_may_not_open_shows_the_styled_403_page(client):
    client.force_login(UserFactory(role=roles.DEAL_DESK))
    response = client.get(reverse("billing:payment_list"))
    html = response.content.decode()
    assert response.status_code == 403 and styled(html)
    assert "You don’t have access to this page" in html
    assert 'class="mainnav"' in html  # still signed in: the navigation stays


def test_an_unknown_address_shows_the_styled_404_page(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404 and styled(html)
    assert "Page not found" in html


def test_the_500_page_is_styled_and_renders_without_a_request_context():
    html = loader.get_template("500.html").render()  # as Django's handler renders it
    assert styled(html) and "Something went wrong" in html
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and styled(response.content.decode())
