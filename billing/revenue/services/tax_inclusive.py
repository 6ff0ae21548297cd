"""A tax-inclusive contract's transaction price follows the net actually invoiced.

Its schedule bills gross; the net of each period is as `billing.revenue.inclusive_net`
defines every tax-inclusive figure (fixed lines here, usage and commitments in
`billing.usage.revenue`): an estimate until invoiced, then the net invoiced. Revenue is
built on the estimate (`facts._net_of_tax`); each issued invoice replaces the estimate of
its lines by their invoiced net, and this hook moves the difference into the price.
A changed price is a change in the transaction price (606-10-32-43): re-allocated on
the inception basis and caught up on the invoice date, like a re-estimated variable
consideration. Once the last period is invoiced, the price is the net invoiced to
the cent, so recognised revenue ends equal to billed and the contract balance at zero."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from billing.models import Invoice
from core.errors import DomainValidationError
from ordermgmt.models import Contract

from ..facts import billed_per_line
from ..models import ObligationLine, RecognitionPattern
from .catch_up import _catch_up
from .common import record_exception

ZERO = Decimal(0)


def true_up_to_invoiced_net(invoice_id: int) -> None:
    """ON_ISSUE_IN_TRANSACTION hook. Issuing never fails because of revenue: a refusal
    becomes a RevenueException on the contract, as on activation."""
    invoice = Invoice.objects.only("pk", "prices_include_tax", "invoice_date", "number").get(
        pk=invoice_id
    )
    if not invoice.prices_include_tax:
        return
    contract_ids = set(
        invoice.lines.filter(contract_line__isnull=False).values_list(
            "contract_line__contract_id", flat=True
        )
    )
    # An amendment's lines may be accounted in the contract it amends: true up that one.
    roots = set(
        ObligationLine.objects.filter(
            contract_line__contract_id__in=contract_ids,
            contract_line__contract__prices_include_tax=True,
        ).values_list("obligation__accounting_contract_id", flat=True)
    )  # none: revenue not built (an open exception); it is built later from invoiced nets
    for root in Contract.objects.filter(pk__in=roots).order_by("pk"):
        try:
            with transaction.atomic():
                _true_up(root, invoice)
        except DomainValidationError as err:
            record_exception(root, field=err.field, code=err.code, message=err.message)


def _true_up(root: Contract, invoice: Invoice) -> None:
    lines = list(
        ObligationLine.objects.filter(obligation__accounting_contract=root).select_related(
            "obligation", "contract_line__contract__account"
        )
    )
    contracts = {ln.contract_line.contract_id: ln.contract_line.contract for ln in lines}
    billed = billed_per_line(contracts.values())
    before = sum((line.contract_price for line in lines), ZERO)
    changed = []
    for line in lines:
        net, _ = billed.get(line.contract_line_id, (line.contract_price, {}))
        if line.obligation.pattern != RecognitionPattern.USAGE and net != line.contract_price:
            line.contract_price = net
            changed.append(line)
    if not changed:
        return
    ObligationLine.objects.bulk_update(changed, ["contract_price"])
    allocation = _catch_up(
        root,
        invoice.invoice_date,
        None,
        label=f"tax-inclusive: price trued up to net invoiced, {invoice.number}"[:64],
    )
    after = sum((line.contract_price for line in lines), ZERO)
    allocation.explanation = {
        **allocation.explanation,
        "note": f"Prices include tax: the price of the lines goes from {before} to {after} "
        f"net, as {invoice.number} split its gross (rate on its date, its rounding rule).",
    }
    allocation.save(update_fields=["explanation"])
