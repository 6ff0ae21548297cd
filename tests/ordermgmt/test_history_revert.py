"""The admin's history "revert" form saves on POST; simple-history checks only the view
right. Every admin here needs the change right for it (ordermgmt/admin_history.py)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from core.admin_history import GuardedHistoryAdmin
from ordermgmt import roles
from ordermgmt.models import Account
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_admin_with_history_guards_its_revert_form():
    from simple_history.admin import SimpleHistoryAdmin

    with_history = [a for a in admin.site._registry.values() if isinstance(a, SimpleHistoryAdmin)]
    assert with_history
    assert [type(a).__name__ for a in with_history if not isinstance(a, GuardedHistoryAdmin)] == []


def revert(client, account, record):
    """Posts the revert form as the history page fills it (the old version's values)."""
    url = reverse("admin:ordermgmt_account_simple_history", args=[account.pk, record.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(url, {**data, "_change_history": "1"})


def test_a_view_only_role_cannot_revert_an_account_but_a_changer_can(client):
    account = AccountFactory(legal_name="First name Ltd")
    first = account.history.earliest()
    account.legal_name = "Second name Ltd"
    account.save()
    client.force_login(UserFactory(role=roles.AUDITOR))
    assert (
        client.get(reverse("admin:ordermgmt_account_history", args=[account.pk])).status_code == 200
    )
    assert revert(client, account, first).status_code == 403
    assert Account.objects.get(pk=account.pk).legal_name == "Second name Ltd"
    client.force_login(UserFactory(role=roles.ADMIN))
    assert revert(client, account, first).status_code == 302
    assert Account.objects.get(pk=account.pk).legal_name == "First name Ltd"
