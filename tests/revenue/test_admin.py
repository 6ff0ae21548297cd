"""The admin edits revenue settings through the revenue services."""

from datetime import date

import pytest
from django.urls import reverse

from billing.revenue.models import RevenueContractSettings
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.factories import UserFactory, make_contract

from .helpers import activated, line, lines_of, product

pytestmark = pytest.mark.django_db


def form_data(contract, **overrides):
    data = {
        "contract": contract.pk,
        "ratable_method": "daily",
        "ramp_policy": "straight_line",
        "variable_consideration_amount": "0",
        "variable_consideration_method": "",
        "priced_at_ssp": "unknown",
        "remaining_goods_distinct": "unknown",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_finance_sets_the_discount_exception_on_a_draft_in_the_admin(client):
    a, b = product("40"), product("60")
    contract = make_contract(lines=[line(a, "40"), line(b, "40")])
    finance = UserFactory(role=roles.FINANCE)
    client.force_login(finance)
    response = client.post(
        reverse("admin:revenue_revenuecontractsettings_add"),
        form_data(
            contract,
            discount_exception="on",
            discount_lines=[lines_of(contract)[1].pk],
            ratable_method="monthly_even",
        ),
    )
    assert response.status_code == 302, response.content[:2000]
    settings = RevenueContractSettings.objects.get(contract=contract)
    assert settings.ratable_method == "monthly_even"
    assert list(settings.discount_lines.all()) == [lines_of(contract)[1]]
    assert settings.history.first().history_user == finance


def test_the_admin_refuses_a_change_once_revenue_is_built_and_saves_nothing(client):
    contract = activated(
        [line(product("1200", revenue_type=RevenueType.SUBSCRIPTION), "1200")],
        start_date=date(2026, 1, 1),
    )
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.post(
        reverse("admin:revenue_revenuecontractsettings_add"),
        form_data(contract, ramp_policy="as_invoiced"),
    )
    assert response.status_code == 200  # the form again, with the error
    assert b"can no longer change" in response.content
    assert not RevenueContractSettings.objects.filter(contract=contract).exists()


def test_auditors_read_but_do_not_edit_settings(client):
    client.force_login(UserFactory(role=roles.AUDITOR))
    assert (
        client.get(reverse("admin:revenue_revenuecontractsettings_changelist")).status_code == 200
    )
    assert client.get(reverse("admin:revenue_revenuecontractsettings_add")).status_code == 403
