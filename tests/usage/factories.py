"""Usage-deal fixtures: an active monthly contract with a usage-priced line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing.usage.models import Commitment, CommitmentKind, PaymentPlan
from billing.usage.services import PriceTerms, set_usage_price
from ordermgmt.models import RevenueType
from tests.factories import ProductFactory, active_contract, line_input

TIERS = [
    {"up_to": "1000", "unit_price": "0.10"},
    {"up_to": None, "unit_price": "0.08"},
]


def usage_contract(*, metric="api-calls", pricing_model="per_unit", unit_price="0.10", **kw):
    """Active, billed monthly from 1 Jan 2026 for a year, one usage line priced for `metric`."""
    product = ProductFactory(revenue_type=RevenueType.USAGE, sku=f"USG-{metric}"[:30])
    contract = active_contract(
        billing_frequency="monthly",
        lines=[line_input(product, quantity=Decimal(0), unit_price=Decimal(0))],
        **kw,
    )
    set_usage_price(
        contract_line=contract.lines.get(),
        terms=PriceTerms(
            metric=metric,
            pricing_model=pricing_model,
            starts_on=contract.start_date,
            unit_price=Decimal(unit_price),
            tiers=TIERS if pricing_model in ("graduated", "volume") else [],
        ),
        actor=None,
    )
    return contract


def commitment_terms(contract, **overrides) -> dict:
    values = {
        "contract": contract,
        "kind": CommitmentKind.PREPAID_COMMIT,
        "payment_plan": PaymentPlan.UP_FRONT,
        "name": "2026 commitment",
        "amount": Decimal("1000.00"),
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
    }
    values.update(overrides)
    return values


__all__ = ["Commitment", "commitment_terms", "usage_contract"]


def ingest_usage(contract, *days_and_quantities, metric="api-calls", prefix="e"):
    """Ingests one event per (day of 2026, quantity) pair, e.g. ((1, 10), 600)."""
    from billing.usage.parsers import body_events
    from billing.usage.services.ingestion import ingest_usage_events

    events = [
        {
            "event_id": f"{prefix}-{contract.pk}-{index}",
            "contract": contract.reference,
            "metric": metric,
            "quantity": str(quantity),
            "timestamp": f"2026-{month:02d}-{day:02d}T12:00:00Z",
        }
        for index, ((month, day), quantity) in enumerate(days_and_quantities)
    ]
    batch = ingest_usage_events(events=list(body_events(events)), source="test")
    assert not batch.refused, batch.rejections
    return batch


def run_billing(run_date, dry_run=False):
    from billing.models import BillingRun
    from billing.services import execute_billing_run, queue_billing_run

    billing_run = queue_billing_run(run_date=run_date, actor=None, dry_run=dry_run)
    return execute_billing_run(run=BillingRun.objects.get(pk=billing_run.pk))
