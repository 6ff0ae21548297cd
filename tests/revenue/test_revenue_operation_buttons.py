"""The revenue operations card on a contract's revenue page: re-estimate (note required),
rebuild after a revenue exception, the list of exceptions, and the change order
treatments with Finance's override; each button checks its permission."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.revenue.models import (
    ChangeOrderRevenue,
    PerformanceObligation,
    RevenueAllocation,
    RevenueException,
)
from ordermgmt import roles
from ordermgmt.models import RevenueType
from ordermgmt.services import ChangeOrderInput, make_change_order
from tests.factories import ProductPriceFactory, UserFactory
from tests.revenue.helpers import activated, bill_and_issue, line, product

pytestmark = pytest.mark.django_db


def page(client, contract) -> str:
    return client.get(f"/revenue/contracts/{contract.pk}/").content.decode()


def test_finance_sees_the_buttons_and_an_auditor_only_reads(client):
    contract = activated([line(product("1200", revenue_type=RevenueType.SUBSCRIPTION), "1200")])
    client.force_login(UserFactory(role=roles.FINANCE))
    shown = page(client, contract)
    assert 'id="reestimate-button"' in shown and 'id="rebuild-button"' in shown
    assert 'id="revenue-exceptions"' in shown
    client.force_login(UserFactory(role=roles.AUDITOR))
    read_only = page(client, contract)
    assert 'id="reestimate-button"' not in read_only and 'id="revenue-exceptions"' in read_only
    refused = client.post(
        f"/revenue/contracts/{contract.pk}/reestimate/",
        {"amount": "100", "effective_date": "2026-03-01", "note": "x"},
    )
    assert refused.status_code == 403


def test_a_re_estimate_without_a_note_is_refused_and_with_one_is_caught_up(client):
    contract = activated([line(product("1200", revenue_type=RevenueType.SUBSCRIPTION), "1200")])
    client.force_login(UserFactory(role=roles.FINANCE))
    url = f"/revenue/contracts/{contract.pk}/reestimate/"
    versions = RevenueAllocation.objects.filter(contract=contract).count()
    answer = client.post(url, {"amount": "-100", "effective_date": "2026-03-01"}, follow=True)
    assert "Say why the estimate changed" in answer.content.decode()
    assert RevenueAllocation.objects.filter(contract=contract).count() == versions
    client.post(
        url, {"amount": "-100", "effective_date": "2026-03-01", "note": "Expected SLA credits"}
    )
    latest = RevenueAllocation.objects.filter(contract=contract).order_by("-version").first()
    assert latest.variable_consideration == Decimal("-100")
    assert latest.explanation["note"] == "Expected SLA credits"


def test_rebuild_builds_the_revenue_once_the_missing_ssp_is_set(client):
    seats = product(None, revenue_type=RevenueType.SUBSCRIPTION)  # no SSP: an exception
    contract = activated([line(seats, "1200")])
    [exception] = RevenueException.objects.filter(contract=contract)
    client.force_login(UserFactory(role=roles.FINANCE))
    shown = page(client, contract)
    assert "has no standalone selling price" in shown and exception.code in shown
    ProductPriceFactory(product=seats, standalone_selling_price=Decimal("1200"))
    client.post(f"/revenue/contracts/{contract.pk}/recognise/")
    assert PerformanceObligation.objects.filter(contract=contract).exists()
    exception.refresh_from_db()
    assert exception.resolved_at is not None


def test_a_change_order_treatment_is_shown_and_overridden_on_the_page(client):
    with freeze_time("2026-06-10 12:00"):
        contract = activated(
            [line(product("1200", revenue_type=RevenueType.SUBSCRIPTION), "1200", "10")],
            billing_frequency="monthly",
        )
        bill_and_issue(date(2026, 6, 1))
        change = make_change_order(
            contract=contract,
            change=ChangeOrderInput(
                kind="price",
                line=contract.lines.get(),
                unit_price=Decimal("1500"),
                effective_date=date(2026, 6, 10),
            ),
            actor=None,
        )
        client.force_login(UserFactory(role=roles.FINANCE))
        assert f'id="treatment-{change.pk}"' in page(client, contract)
        url = f"/revenue/contracts/{contract.pk}/change-orders/{change.pk}/treatment/"
        client.post(url, {"treatment": "cumulative_catch_up", "note": ""})
        assert ChangeOrderRevenue.objects.get(change=change).treatment == "prospective"
        client.post(url, {"treatment": "cumulative_catch_up", "note": "Not a series"})
    assert ChangeOrderRevenue.objects.get(change=change).treatment == "cumulative_catch_up"
