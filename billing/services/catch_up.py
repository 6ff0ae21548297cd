"""The back-billing guard's refusals (billing.selectors.catch_up says what is caught up)."""

from __future__ import annotations

from datetime import date

from billing.error_codes import BillingError
from billing.selectors.catch_up import catch_up_preview, run_catch_ups
from core.errors import DomainValidationError
from core.money import format_money


def require_catch_up_confirmation(*, contract, confirmed: bool) -> None:
    """Activation hook: a contract that started in the past is activated only once the
    user has seen and confirmed what it bills at once."""
    if confirmed:
        return
    preview = catch_up_preview(contract=contract)
    if not preview.needs_confirmation:
        return
    first = ""
    if preview.first_invoice_date:
        first = (
            f" Its first invoice, on {preview.first_invoice_date}, comes to "
            f"{format_money(preview.first_invoice_amount, preview.currency)} before tax."
        )
    raise DomainValidationError(
        field="confirm_catch_up",
        code=BillingError.CATCH_UP_NOT_CONFIRMED,
        message=(
            f"{contract.reference} started on {contract.start_date}, in the past: activating "
            f"it bills {preview.period_count} past period(s) at once, "
            f"{format_money(preview.amount, preview.currency)}.{first} Confirm the catch-up "
            "to activate it."
        ),
    )


def refuse_unconfirmed_run(*, run_date: date) -> None:
    catch_ups = run_catch_ups(run_date=run_date)
    if not catch_ups:
        return
    listed = "; ".join(c.summary() for c in catch_ups[:5])
    more = f" and {len(catch_ups) - 5} more" if len(catch_ups) > 5 else ""
    raise DomainValidationError(
        field="confirm_catch_up",
        code=BillingError.CATCH_UP_NOT_CONFIRMED,
        message=(
            f"This run bills more than one period at once for {len(catch_ups)} contract(s): "
            f"{listed}{more}. Preview it, then confirm the catch-up to run it."
        ),
    )
