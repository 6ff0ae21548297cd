"""Contracts for the revenue tests, built through the contract services; revenue
settings are set before activation, as Finance would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from billing.models import BillingRun, Invoice, LegalEntity
from billing.revenue import services as revenue
from billing.revenue.models import PerformanceObligation, RevenueSchedule, RevenueScheduleLine
from billing.services import execute_billing_run, issue_invoice, queue_billing_run
from ordermgmt import roles, services
from ordermgmt.models import Contract, RevenueType
from tests.factories import (
    LegalEntityFactory,
    ProductFactory,
    ProductPriceFactory,
    UserFactory,
    billable_account,
    contract_terms,
    line_input,
)

D = Decimal


def product(
    ssp: str | None,
    *,
    revenue_type: str = RevenueType.ONE_TIME,
    currency: str = "USD",
    distinct: bool = True,
    name: str | None = None,
):
    made = ProductFactory(
        revenue_type=revenue_type, distinct=distinct, **({"name": name} if name else {})
    )
    if ssp is not None:
        ProductPriceFactory(product=made, currency=currency, standalone_selling_price=D(ssp))
    return made


def line(made, price: str, quantity: str = "1", **extra):
    return line_input(made, quantity=D(quantity), unit_price=D(price), **extra)


def activated(
    lines,
    *,
    settings: Callable[[Contract], dict] | None = None,
    account=None,
    kind: str = "new",
    original: Contract | None = None,
    **terms,
) -> Contract:
    """Create, set revenue settings (they refer to the lines), submit, approve, activate."""
    if not LegalEntity.objects.filter(is_default=True).exists():
        LegalEntityFactory()
    contract = services.create_contract(
        account=account or billable_account(),
        terms=contract_terms(**terms),
        lines=lines,
        actor=None,
        kind=kind,
        original_contract=original,
    )
    if settings is not None:
        revenue.update_revenue_settings(contract=contract, actor=None, **settings(contract))
    services.submit_contract(contract=contract, actor=None)
    contract.refresh_from_db()
    while contract.status == "pending_review":  # large deals need several approvers
        approver = UserFactory(role=roles.DEAL_DESK)
        services.approve_contract(contract=contract, actor=approver, comment="test approval")
        contract.refresh_from_db()
    return services.activate_contract(contract=contract, actor=None)


def lines_of(contract: Contract) -> list:
    return list(contract.lines.order_by("id"))


def obligations(contract: Contract) -> list[PerformanceObligation]:
    return list(
        PerformanceObligation.objects.filter(accounting_contract=contract).order_by(
            "contract_id", "number"
        )
    )


def allocated(contract: Contract) -> list[Decimal]:
    return [o.allocated_amount for o in obligations(contract) if o.pattern != "usage"]


def schedule_lines(obligation: PerformanceObligation) -> list[RevenueScheduleLine]:
    schedule = RevenueSchedule.objects.get(obligation=obligation, is_current=True)
    return list(schedule.lines.order_by("recognition_date", "id"))


def monthly(obligation: PerformanceObligation) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for row in schedule_lines(obligation):
        key = f"{row.recognition_date:%Y-%m}"
        result[key] = result.get(key, D(0)) + row.amount
    return result


def bill_and_issue(run_date: date) -> list[Invoice]:
    """Run billing for the date and issue every draft it made, dated that day."""
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return [
        issue_invoice(invoice=invoice, actor=None, invoice_date=run_date)
        for invoice in Invoice.objects.filter(status="draft").order_by("id")
    ]
