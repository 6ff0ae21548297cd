"""Contract modifications (research 2.5, ASC 606-10-25-10 to 25-13) and re-estimates."""

from datetime import date

import pytest

from billing.revenue import services as revenue
from billing.revenue.models import (
    ContractModification,
    RevenueAllocation,
    RevenueContractSettings,
    RevenueException,
    RevenueSchedule,
    RevenueScheduleLine,
)
from billing.revenue.selectors import contract_balance
from billing.revenue.services import decide_treatment
from core.errors import DomainValidationError
from ordermgmt.models import RevenueType

from .helpers import (
    D,
    activated,
    bill_and_issue,
    line,
    monthly,
    obligations,
    product,
    schedule_lines,
)

pytestmark = pytest.mark.django_db
SUB = RevenueType.SUBSCRIPTION


def test_the_decision_tree_follows_the_recorded_judgements():
    tree = {
        (True, True, True): "separate_contract",
        (True, True, False): "separate_contract",
        (True, False, True): "prospective",
        (False, True, True): "prospective",
        (True, False, False): "cumulative_catch_up",
        (False, False, False): "cumulative_catch_up",
    }
    for (distinct, at_ssp, remaining), expected in tree.items():
        assert (
            decide_treatment(
                added_goods_distinct=distinct,
                priced_at_ssp=at_ssp,
                remaining_goods_distinct=remaining,
            )
            == expected
        )


def products_contract(finance):
    """ASC 606 Example 5: 120 products at 100 each; 60 delivered by the end of March."""
    widget = product("100", name="Widget")
    original = activated([line(widget, "100", quantity="120")])
    (obligation,) = obligations(original)
    revenue.record_delivery(
        obligation=obligation,
        delivered_on=date(2026, 3, 31),
        quantity=D(60),
        reference="D-60",
        actor=finance,
    )
    return widget, original, obligation


def amend(original, lines, *, priced_at_ssp, remaining, effective=None, extra=None, **terms):
    def settings(_contract):
        values = {"priced_at_ssp": priced_at_ssp, "remaining_goods_distinct": remaining}
        if effective:
            values["modification_effective_date"] = effective
        values.update(extra or {})
        return values

    terms.setdefault("start_date", date(2026, 4, 1))
    terms.setdefault("end_date", date(2026, 12, 31))
    return activated(
        lines,
        kind="amendment",
        original=original,
        account=original.account,
        settings=settings,
        **terms,
    )


def test_added_distinct_goods_at_ssp_are_a_separate_contract(finance):
    # Example 5 Case A [RR-MOD-001]: 30 more products at 95, the SSP in the circumstances.
    widget, original, obligation = products_contract(finance)
    versions = RevenueSchedule.objects.filter(obligation=obligation).count()
    amendment = amend(
        original, [line(widget, "95", quantity="30")], priced_at_ssp=True, remaining=True
    )
    modification = ContractModification.objects.get(amendment=amendment)
    assert modification.treatment == "separate_contract"
    (added,) = obligations(amendment)
    assert added.accounting_contract_id == amendment.pk
    assert added.allocated_amount == D("2850.00")
    assert RevenueSchedule.objects.filter(obligation=obligation).count() == versions
    assert RevenueAllocation.objects.filter(contract=original).count() == 1


def test_the_priced_at_ssp_judgement_is_recorded_with_its_history(finance):
    widget, original, _ = products_contract(finance)
    amendment = amend(
        original, [line(widget, "95", quantity="30")], priced_at_ssp=True, remaining=True
    )
    settings = RevenueContractSettings.objects.get(contract=amendment)
    assert settings.priced_at_ssp is True
    assert settings.history.filter(priced_at_ssp=True).exists()
    assert ContractModification.objects.get(amendment=amendment).history.count() == 1


def test_prospective_blends_the_remaining_and_added_units(finance):
    # Example 5 Case B [RR-MOD-002]: 30 more at 80 (not SSP). Remaining 60 x 100 not yet
    # recognised + 30 x 80 = 8,400 over the 90 units left: 93.33 a unit.
    widget, original, obligation = products_contract(finance)
    amendment = amend(
        original, [line(widget, "80", quantity="30")], priced_at_ssp=False, remaining=True
    )
    assert ContractModification.objects.get(amendment=amendment).treatment == "prospective"
    allocation = RevenueAllocation.objects.get(contract=original, is_current=True)
    assert (allocation.version, allocation.reason) == (2, "prospective")
    assert allocation.recognised_before == D("6000.00")
    assert allocation.allocated_amount == D("8400.00")
    remaining, added = obligations(original)
    assert added.contract_id == amendment.pk
    assert (remaining.allocated_amount, added.allocated_amount) == (D("11600.00"), D("2800.00"))
    # Deliver the 30 added units one by one: each 93.33 or 93.34 (cumulative rounding),
    # never 29 x 93.33 then a skewed last unit.
    for n in range(30):
        revenue.record_delivery(
            obligation=added,
            delivered_on=date(2026, 5, 1),
            quantity=D(1),
            reference=f"A-{n}",
            actor=finance,
        )
    unit_amounts = [r.amount for r in schedule_lines(added)]
    assert sum(unit_amounts) == D("2800.00")
    revenue.record_delivery(
        obligation=remaining, delivered_on=date(2026, 6, 1), reference="R-60", actor=finance
    )
    assert monthly(remaining) == {"2026-03": D("6000.00"), "2026-06": D("5600.00")}
    assert (D("8400") / 90).quantize(D("0.01")) == D("93.33")


def test_prospective_service_extension_spreads_the_remainder_over_what_is_left():
    # [RR-MOD-003] 3 years at 10,000; at the start of year 3 extended by 3 years for
    # 20,000: (10,000 not yet recognised + 20,000) / 4 years = 7,500 a year.
    service = product("10000", revenue_type=SUB, name="Bookkeeping")
    even = {"ratable_method": "monthly_even"}
    original = activated(
        [line(service, "10000")],
        start_date=date(2025, 1, 1),
        end_date=date(2027, 12, 31),
        settings=lambda c: even,
    )
    (old,) = obligations(original)
    first_version = RevenueSchedule.objects.get(obligation=old, version=1)
    amend(
        original,
        [line(service, "6666.666667")],
        priced_at_ssp=False,
        remaining=True,
        effective=date(2027, 1, 1),
        extra=even,
        start_date=date(2028, 1, 1),
        end_date=date(2030, 12, 31),
    )
    old, new = obligations(original)
    years = {}
    for obligation in (old, new):
        for month, amount in monthly(obligation).items():
            years[month[:4]] = years.get(month[:4], D(0)) + amount
    assert years == {
        "2025": D("10000.00"),
        "2026": D("10000.00"),
        "2027": D("7500.00"),
        "2028": D("7500.00"),
        "2029": D("7500.00"),
        "2030": D("7500.00"),
    }
    # The old schedule is kept, never deleted: version 1 with its 36 months.
    first_version.refresh_from_db()
    assert not first_version.is_current and first_version.superseded_at is not None
    assert first_version.lines.count() == 36
    assert RevenueScheduleLine.objects.filter(schedule=first_version).count() == 36


def test_not_distinct_remaining_goods_get_a_cumulative_catch_up():
    # A single partially satisfied obligation: 120,000 for 2026, evenly by month; from
    # 1 July 24,000 more for the same service. 6/12 of 144,000 = 72,000 by 30 June, so
    # 12,000 is caught up on 1 July; then 12,000 a month. (30/360: the half year the
    # amendment bills is exactly 24,000; actual/actual would prorate 184/365 days.)
    service = product("120000", revenue_type=SUB, name="Managed service")
    even = {"ratable_method": "monthly_even"}
    original = activated([line(service, "120000")], settings=lambda c: even)
    amendment = amend(
        original,
        [line(service, "48000")],
        priced_at_ssp=False,
        remaining=False,
        start_date=date(2026, 7, 1),
        end_date=date(2026, 12, 31),
        day_count_convention="30_360",
    )
    assert ContractModification.objects.get(amendment=amendment).treatment == "cumulative_catch_up"
    (obligation,) = obligations(original)
    rows = schedule_lines(obligation)
    catch_up = [r for r in rows if r.kind == "catch_up"]
    assert [(r.recognition_date, r.amount) for r in catch_up] == [(date(2026, 7, 1), D("12000.00"))]
    months = monthly(obligation)
    assert months["2026-06"] == D("10000.00")
    assert months["2026-07"] == D("24000.00")  # 12,000 catch-up + 12,000 for July
    assert months["2026-12"] == D("12000.00")
    assert obligation.allocated_amount == D("144000.00")
    assert RevenueSchedule.objects.filter(obligation=obligation).count() == 2


def test_an_amendment_without_the_judgements_waits_for_finance(finance):
    widget, original, _ = products_contract(finance)
    amendment = activated(
        [line(widget, "95", quantity="30")],
        kind="amendment",
        original=original,
        account=original.account,
        start_date=date(2026, 4, 1),
    )
    exception = RevenueException.objects.get(contract=amendment, resolved_at=None)
    assert exception.code == "modification_decision_pending"
    modification = revenue.account_for_modification(
        amendment=amendment, priced_at_ssp=True, remaining_goods_distinct=True, actor=finance
    )
    assert modification.decided_by == finance
    assert not RevenueException.objects.filter(contract=amendment, resolved_at=None).exists()
    with pytest.raises(DomainValidationError) as err:
        revenue.account_for_modification(
            amendment=amendment, priced_at_ssp=True, remaining_goods_distinct=True, actor=finance
        )
    assert err.value.code == "already_accounted"


def vc_contract():
    # [RR-VC-002] SLA credits expected at 1,250 on 100,000: transaction price 98,750.
    service = product("100000", revenue_type=SUB, name="Hosting")
    return activated(
        [line(service, "100000")],
        settings=lambda c: {
            "ratable_method": "monthly_even",
            "variable_consideration_amount": D("-1250"),
            "variable_consideration_method": "expected_value",
        },
    )


def test_expected_sla_credits_reduce_the_transaction_price_and_make_a_refund_liability():
    contract = vc_contract()
    allocation = RevenueAllocation.objects.get(contract=contract)
    assert allocation.transaction_price == D("98750.00")
    (obligation,) = obligations(contract)
    months = monthly(obligation)
    assert months["2026-01"] == D("8229.17") and sum(months.values()) == D("98750.00")
    bill_and_issue(date(2026, 1, 1))
    mid = contract_balance(contract, date(2026, 6, 30))
    assert mid.recognised == D("49375.00") and mid.refund_liability == D("1250.00")
    assert mid.deferred_revenue == D("49375.00")
    end = contract_balance(contract, date(2026, 12, 31))
    assert (end.refund_liability, end.net_position) == (D("1250.00"), D("0.00"))


def test_a_new_estimate_is_caught_up_on_its_date(finance):
    contract = vc_contract()
    revenue.reestimate_variable_consideration(
        contract=contract,
        amount=D("-2000"),
        effective_date=date(2026, 7, 1),
        actor=finance,
        note="Volume rebate now expected at the upper tier.",
    )
    (obligation,) = obligations(contract)
    rows = schedule_lines(obligation)
    (catch_up,) = [r for r in rows if r.kind == "catch_up"]
    # 6/12 of 98,000 = 49,000 by 30 June against 49,375 recognised: -375.
    assert (catch_up.recognition_date, catch_up.amount) == (date(2026, 7, 1), D("-375.00"))
    assert sum(r.amount for r in rows) == D("98000.00")
    assert RevenueAllocation.objects.filter(contract=contract).count() == 2


def test_settings_that_shape_revenue_are_locked_once_it_is_built(finance):
    contract = vc_contract()
    with pytest.raises(DomainValidationError) as err:
        revenue.update_revenue_settings(contract=contract, actor=finance, ramp_policy="as_invoiced")
    assert (err.value.field, err.value.code) == ("ramp_policy", "locked_after_inception")
