"""Saved filters on the console lists: a user saves the list's query under a name, sees
their own as links on that list (the same rows as the query), renames and deletes them."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.errors import DomainValidationError
from core.saved_filters.models import SavedFilter
from core.saved_filters.services import delete_filter, rename_filter, save_filter
from ordermgmt import roles
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance():
    return UserFactory(role=roles.FINANCE)


def _save(user, name="Overdue USD", query="currency=USD&overdue=on&page=3", list_name="invoices"):
    return save_filter(owner=user, list_name=list_name, name=name, query=query)


def test_a_saved_filter_keeps_the_filters_and_sort_but_not_the_page_or_empty_fields(finance):
    saved = _save(finance, query="q=&currency=USD&sort=-due_date&page=3&status=")
    assert saved.query == "currency=USD&sort=-due_date"


def test_saving_under_a_name_already_used_replaces_its_query(finance):
    first = _save(finance, name="Mine", query="currency=USD")
    again = _save(finance, name="mine", query="currency=EUR")
    assert again.pk == first.pk and SavedFilter.objects.get().query == "currency=EUR"


@pytest.mark.parametrize(
    ("name", "query", "field", "code"),
    [
        ("", "currency=USD", "name", "empty"),
        ("x" * 81, "currency=USD", "name", "max_length"),
        ("All", "page=2", "query", "empty"),
        ("Long", "q=" + "a" * 1000, "query", "max_length"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_saves_nothing(finance, name, query, field, code):
    with pytest.raises(DomainValidationError) as err:
        _save(finance, name=name, query=query)
    assert (err.value.field, err.value.code) == (field, code)
    assert not SavedFilter.objects.exists()


def test_renaming_to_a_name_already_taken_on_that_list_is_refused(finance):
    _save(finance, name="Big EUR", query="currency=EUR")
    other = _save(finance, name="Big USD", query="currency=USD")
    with pytest.raises(DomainValidationError) as err:
        rename_filter(saved_filter=other, owner=finance, name="big eur")
    assert (err.value.field, err.value.code) == ("name", "duplicate_name")
    assert SavedFilter.objects.get(pk=other.pk).name == "Big USD"
    # The same name on another list is another filter.
    _save(finance, name="Big EUR", query="currency=EUR", list_name="payments")


def test_a_user_cannot_rename_or_delete_someone_elses_filter(finance):
    theirs = _save(UserFactory(role=roles.FINANCE))
    with pytest.raises(SavedFilter.DoesNotExist):
        rename_filter(saved_filter=theirs, owner=finance, name="Taken")
    delete_filter(saved_filter=theirs, owner=finance)
    assert SavedFilter.objects.get(pk=theirs.pk).name == "Overdue USD"


# --- On the list pages -------------------------------------------------------------------


def _invoice_pks(response) -> list[int]:
    return [invoice.pk for invoice in response.context["page"].object_list]


def test_a_filter_saved_on_the_invoice_list_opens_the_same_rows(client, finance):
    usd = IssuedInvoiceFactory(currency="USD")
    IssuedInvoiceFactory(account=AccountFactory(default_currency="EUR"), currency="EUR")
    client.force_login(finance)
    query = "currency=USD&sort=number&page=1"
    filtered = client.get(f"{reverse('billing:invoice_list')}?{query}")
    assert _invoice_pks(filtered) == [usd.pk]
    assert 'id="save-filter"' in filtered.content.decode()

    response = client.post(
        reverse("saved_filters:save"),
        {"list_name": "invoices", "name": "USD only", "query": query},
    )
    saved = SavedFilter.objects.get(owner=finance)
    assert response.status_code == 302 and response["Location"] == saved_url(saved)

    listing = client.get(reverse("billing:invoice_list")).content.decode()
    assert f'href="{escape(saved_url(saved))}"' in listing and "USD only" in listing
    assert _invoice_pks(client.get(saved_url(saved))) == _invoice_pks(filtered)


def saved_url(saved) -> str:
    return f"{reverse('billing:invoice_list')}?{saved.query}"


@pytest.mark.parametrize(
    ("url_name", "list_name"),
    sorted(
        [
            ("billing:invoice_list", "invoices"),
            ("billing:payment_list", "payments"),
            ("contract_list", "contracts"),
            ("customer_list", "customers"),
        ]
    ),
)
def test_each_list_shows_only_its_own_users_filters_of_that_list(client, url_name, list_name):
    admin = UserFactory(role=roles.ADMIN)
    _save(admin, name="Mine here", query="q=acme", list_name=list_name)
    _save(UserFactory(role=roles.ADMIN), name="Someone elses", query="q=x", list_name=list_name)
    other_list = "payments" if list_name != "payments" else "invoices"
    _save(admin, name="Mine elsewhere", query="q=y", list_name=other_list)
    client.force_login(admin)
    html = client.get(reverse(url_name)).content.decode()
    assert 'id="saved-filters"' in html and "Mine here" in html
    assert "Someone elses" not in html and "Mine elsewhere" not in html


def test_renaming_and_deleting_from_the_list(client, finance):
    saved = _save(finance)
    client.force_login(finance)
    client.post(reverse("saved_filters:rename", args=[saved.pk]), {"name": "Late dollars"})
    assert SavedFilter.objects.get().name == "Late dollars"
    refused = client.post(reverse("saved_filters:rename", args=[saved.pk]), {"name": " "})
    assert refused.status_code == 302 and SavedFilter.objects.get().name == "Late dollars"
    client.post(reverse("saved_filters:delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


def test_another_users_filter_is_not_found_and_stays(client, finance):
    theirs = _save(UserFactory(role=roles.FINANCE))
    client.force_login(finance)
    assert client.post(reverse("saved_filters:delete", args=[theirs.pk])).status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_a_role_that_may_not_see_a_list_may_not_save_a_filter_on_it(client):
    client.force_login(UserFactory(role=roles.DEAL_DESK))
    response = client.post(
        reverse("saved_filters:save"),
        {"list_name": "payments", "name": "Cash", "query": "currency=USD"},
    )
    assert response.status_code == 403 and not SavedFilter.objects.exists()
