"""The JSON behind the top-bar type-ahead: the same search as the results page, a few
hits per kind, only what the user's role may see."""

import pytest
from django.urls import reverse

from billing.search import search_book
from ordermgmt import roles
from tests.billing.helpers import pay
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def _suggest(client, user, query):
    client.force_login(user)
    return client.get(reverse("search_suggest"), {"q": query})


def test_suggestions_are_the_top_hits_per_kind_of_the_same_search_as_the_page(client):
    finance = UserFactory(role=roles.FINANCE)
    account = AccountFactory(legal_name="Umbrella Holdings")
    for _ in range(7):
        IssuedInvoiceFactory(account=account)
    response = _suggest(client, finance, "INV-")
    assert response.status_code == 200
    answer = response.json()
    page_groups = search_book(query="INV-", user=finance, limit=5)
    assert answer["groups"] == [
        {
            "kind": g.kind,
            "title": g.title,
            "more": g.more,
            "hits": [{"label": h.label, "detail": h.detail, "url": h.url} for h in g.hits],
        }
        for g in page_groups
    ]
    invoices = answer["groups"][0]
    assert invoices["kind"] == "invoices" and len(invoices["hits"]) == 5 and invoices["more"]
    assert answer["all_url"] == f"{reverse('search')}?q=INV-"


def test_suggestions_never_show_a_kind_the_role_may_not_see(client):
    pay(AccountFactory(), "777.00", reference="SECRET-REF")
    deal_desk = UserFactory(role=roles.DEAL_DESK)
    answer = _suggest(client, deal_desk, "SECRET").json()
    assert answer["groups"] == []
    assert "SECRET-REF" not in _suggest(client, deal_desk, "SECRET").content.decode()


def test_a_user_without_a_role_is_refused_suggestions(client):
    assert _suggest(client, UserFactory(), "acme").status_code == 403


def test_one_character_suggests_nothing(client):
    AccountFactory(legal_name="A Corp")
    answer = _suggest(client, UserFactory(role=roles.FINANCE), "a").json()
    assert answer["groups"] == []


def test_suggestions_are_for_logged_in_users_only(client):
    response = client.get(reverse("search_suggest"), {"q": "acme"})
    assert response.status_code == 302 and "/login/" in response["Location"]
