"""Cancelling an active contract ends its service that day (ordermgmt ON_CANCELLATION).

ASC 606 treats a termination as a modification that removes the goods and services not
yet transferred: revenue recognised for what was delivered stays, nothing more is
recognised. Each obligation of the contract gets a new schedule version ending on the
cancellation day: the lines before it are kept, the month in progress keeps the elapsed
share of its amount (by days, as a stub), and the version's total is what was recognised.
Earlier versions stay, superseded. A point-in-time obligation keeps what was delivered.
What was billed beyond that is a contract liability (a credit note settles it); what was
recognised and not billed is a contract asset.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from billing.revenue.engine import history_before
from billing.revenue.models import PerformanceObligation
from ordermgmt.models import Contract

from .common import current_state, write_schedule_version


def end_revenue_on_cancellation(
    *, contract: Contract, actor=None, effective_date: date, **kwargs
) -> int:
    """New schedule versions ending on `effective_date`; returns how many."""
    obligations = PerformanceObligation.objects.filter(contract=contract)
    accounting = {o.accounting_contract_id for o in obligations}
    if not accounting:
        return 0  # no revenue built for it (yet)
    cut = effective_date + timedelta(days=1)
    written = 0
    for accounting_id in accounting:
        for state in current_state(Contract.objects.get(pk=accounting_id)):
            obligation = state.obligation
            # Cancelling the contract an amendment is accounted in ends the amendment's
            # obligations too; cancelling an amendment alone ends only its own.
            if accounting_id != contract.pk and obligation.contract_id != contract.pk:
                continue
            if state.lines and state.lines[-1].recognition_date <= effective_date:
                continue  # fully recognised already
            kept = history_before(state.lines, cut, state.schedule.currency)
            total = sum((line.amount for line in kept), Decimal(0))
            write_schedule_version(
                obligation,
                lines=kept,
                total=total,
                effective_date=effective_date,
                reason=f"Contract cancelled on {effective_date}",
                actor=actor,
                allocation=state.schedule.allocation,
                basis_mode="terminated",
                basis_origin=cut,
                recognised_before=total,
            )
            written += 1
    return written
