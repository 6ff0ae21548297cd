"""Revenue operations of one contract over the API and as `manage.py revenue_ops`:
re-estimate variable consideration with a note, rebuild revenue once the cause of a revenue
exception is fixed, list the contract's revenue exceptions."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.revenue.models import RevenueAllocation, RevenueException
from ordermgmt import roles
from tests.factories import UserFactory
from tests.revenue.test_modifications import vc_contract

from .helpers import D, activated, allocated, line, obligations, product

pytestmark = pytest.mark.django_db
NOTE = "Volume rebate now expected at the upper tier."


def as_role(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def missing_ssp_contract():
    """Activated although one product has no SSP in USD: a revenue exception, no revenue."""
    without = product(None, name="Onboarding workshop")
    return activated([line(without, "50")]), without


# --- Re-estimate -------------------------------------------------------------------------------


def test_finance_reestimates_over_the_api_and_the_note_is_kept_on_the_allocation(client):
    contract = vc_contract()  # SLA credits expected at 1,250 on 100,000
    as_role(client, roles.FINANCE)
    response = post(
        client,
        f"/api/v1/revenue/contracts/{contract.pk}/reestimate/",
        {"amount": "-2000", "effective_date": "2026-07-01", "note": NOTE},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # 100,000 − 2,000 expected credits = 98,000, caught up from 1 July.
    assert (body["transaction_price"], body["effective_date"]) == ("98000.00", "2026-07-01")
    assert body["explanation"]["note"] == NOTE
    assert (
        RevenueAllocation.objects.filter(contract=contract, is_current=True).get().pk
        == (body["id"])
    )


def test_a_reestimate_without_a_note_is_refused_and_nothing_changes(client):
    contract = vc_contract()
    as_role(client, roles.FINANCE)
    response = post(
        client,
        f"/api/v1/revenue/contracts/{contract.pk}/reestimate/",
        {"amount": "-2000", "effective_date": "2026-07-01", "note": "  "},
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("note", "required")
    assert RevenueAllocation.objects.filter(contract=contract).count() == 1


def test_deal_desk_may_not_reestimate(client):
    contract = vc_contract()
    as_role(client, roles.DEAL_DESK)
    response = post(
        client,
        f"/api/v1/revenue/contracts/{contract.pk}/reestimate/",
        {"amount": "-2000", "effective_date": "2026-07-01", "note": NOTE},
    )
    assert response.status_code == 403
    assert RevenueAllocation.objects.filter(contract=contract).count() == 1


# --- Exceptions and rebuild --------------------------------------------------------------------


def test_finance_lists_the_exception_adds_the_ssp_and_rebuilds_over_the_api(client):
    contract, without = missing_ssp_contract()
    as_role(client, roles.FINANCE)
    url = f"/api/v1/revenue/contracts/{contract.pk}/exceptions/"
    (row,) = client.get(f"{url}?open=true").json()["results"]
    assert (row["field"], row["code"], row["resolved_at"]) == (
        "lines[0].product",
        "missing_ssp",
        None,
    )
    added = post(
        client,
        "/api/v1/product-prices/",
        {"product": without.pk, "currency": "USD", "standalone_selling_price": "60"},
    )
    assert added.status_code == 201, added.content
    response = post(client, f"/api/v1/revenue/contracts/{contract.pk}/rebuild/")
    assert response.status_code == 200, response.content
    assert response.json() == {"contract": contract.pk, "open_exceptions": 0}
    assert allocated(contract) == [D("50.00")]
    assert client.get(f"{url}?open=true").json()["results"] == []
    assert [r["id"] for r in client.get(f"{url}?open=false").json()["results"]] == [row["id"]]


def test_a_rebuild_before_the_cause_is_fixed_is_refused_with_the_cause(client):
    contract, _ = missing_ssp_contract()
    as_role(client, roles.FINANCE)
    response = post(client, f"/api/v1/revenue/contracts/{contract.pk}/rebuild/")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "lines[0].product",
        "missing_ssp",
    )
    assert obligations(contract) == []


def test_an_order_specialist_may_neither_list_exceptions_nor_rebuild(client):
    contract, _ = missing_ssp_contract()
    as_role(client, roles.ORDER_SPECIALIST)
    assert client.get(f"/api/v1/revenue/contracts/{contract.pk}/exceptions/").status_code == 403
    assert post(client, f"/api/v1/revenue/contracts/{contract.pk}/rebuild/").status_code == 403


# --- Commands ----------------------------------------------------------------------------------


def test_the_commands_list_rebuild_and_reestimate(capsys):
    from tests.factories import ProductPriceFactory

    finance = UserFactory(role=roles.FINANCE)
    contract, without = missing_ssp_contract()
    call_command("revenue_ops", "exceptions", "--contract", str(contract.pk))
    assert "lines[0].product missing_ssp" in capsys.readouterr().out
    ProductPriceFactory(product=without, currency="USD", standalone_selling_price=D(60))
    call_command(
        "revenue_ops", "rebuild", "--contract", str(contract.pk), "--user", finance.username
    )
    assert "built" in capsys.readouterr().out
    assert not RevenueException.objects.filter(contract=contract, resolved_at=None).exists()

    estimated = vc_contract()
    call_command(
        "revenue_ops",
        "reestimate",
        "--contract",
        str(estimated.pk),
        "--amount=-2000",
        "--effective-date",
        "2026-07-01",
        "--note",
        NOTE,
        "--user",
        finance.username,
    )
    current = RevenueAllocation.objects.get(contract=estimated, is_current=True)
    assert (current.transaction_price, current.explanation["note"]) == (D("98000.00"), NOTE)
    assert current.created_by == finance


def test_the_command_refuses_a_user_without_the_revenue_permission():
    contract, _ = missing_ssp_contract()
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    with pytest.raises(CommandError, match="may not change revenue"):
        call_command(
            "revenue_ops", "rebuild", "--contract", str(contract.pk), "--user", specialist.username
        )
    assert obligations(contract) == []


def test_the_command_reports_a_refused_rebuild_with_its_field():
    contract, _ = missing_ssp_contract()
    finance = UserFactory(role=roles.FINANCE)
    with pytest.raises(CommandError, match=r"lines\[0\]\.product: .*\(missing_ssp\)"):
        call_command(
            "revenue_ops", "rebuild", "--contract", str(contract.pk), "--user", finance.username
        )
