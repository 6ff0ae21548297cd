"""Contract input rules, shared by the services and by model.clean() (admin forms).

Each function returns every error it finds, field by field; callers raise the first or
show them all. Nothing here writes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from billing.money import is_known_currency
from billing.terms import PaymentTerms
from ordermgmt.errors import DomainValidationError

if TYPE_CHECKING:
    from ordermgmt.models import Contract, ContractLine, RampStep


def contract_header_errors(contract: Contract) -> list[DomainValidationError]:
    errors = []
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors.append(
            DomainValidationError(
                field="end_date",
                code="end_before_start",
                message=(
                    f"The end date {contract.end_date} is before the start date "
                    f"{contract.start_date}."
                ),
            )
        )
    if not is_known_currency(contract.currency):
        errors.append(
            DomainValidationError(
                field="currency",
                code="unknown_currency",
                message=f"{contract.currency!r} is not an ISO 4217 currency code.",
            )
        )
    try:
        PaymentTerms.parse(contract.payment_terms)
    except DomainValidationError as err:
        errors.append(err)
    return errors


def contract_line_errors(
    line: ContractLine, *, contract: Contract | None
) -> list[DomainValidationError]:
    errors = []
    if line.quantity is not None and line.quantity < 0:
        errors.append(
            DomainValidationError(
                field="quantity",
                code="negative_quantity",
                message=f"Quantity {line.quantity} is negative.",
            )
        )
    if line.unit_price is not None and line.unit_price < 0:
        errors.append(
            DomainValidationError(
                field="unit_price",
                code="negative_unit_price",
                message=f"Unit price {line.unit_price} is negative; use a discount instead.",
            )
        )
    discount = line.discount_percent if line.discount_percent is not None else Decimal(0)
    if discount < 0 or discount > 100:
        errors.append(
            DomainValidationError(
                field="discount_percent",
                code="discount_out_of_range",
                message=f"Discount {discount}% is outside 0 to 100%.",
            )
        )
    if line.currency and not is_known_currency(line.currency):
        errors.append(
            DomainValidationError(
                field="currency",
                code="unknown_currency",
                message=f"{line.currency!r} is not an ISO 4217 currency code.",
            )
        )
    elif contract is not None and line.currency and line.currency != contract.currency:
        errors.append(
            DomainValidationError(
                field="currency",
                code="currency_mismatch",
                message=(
                    f"The line is in {line.currency} but the contract is in {contract.currency}."
                ),
            )
        )
    return errors


def ramp_step_errors(step: RampStep, *, contract: Contract | None) -> list[DomainValidationError]:
    errors = []
    if step.start_date and step.end_date and step.end_date < step.start_date:
        errors.append(
            DomainValidationError(
                field="end_date",
                code="end_before_start",
                message=f"The step ends {step.end_date}, before it starts {step.start_date}.",
            )
        )
    if step.quantity is not None and step.quantity < 0:
        errors.append(
            DomainValidationError(
                field="quantity", code="negative_quantity", message="Quantity is negative."
            )
        )
    if step.unit_price is not None and step.unit_price < 0:
        errors.append(
            DomainValidationError(
                field="unit_price", code="negative_unit_price", message="Unit price is negative."
            )
        )
    outside = (
        contract is not None
        and step.start_date
        and step.end_date
        and (step.start_date < contract.start_date or step.end_date > contract.end_date)
    )
    if outside:
        errors.append(
            DomainValidationError(
                field="start_date",
                code="outside_contract_term",
                message=(
                    f"The step {step.start_date}–{step.end_date} falls outside the "
                    f"contract term {contract.start_date}–{contract.end_date}."
                ),
            )
        )
    return errors


def overlapping_steps_error(steps: list[RampStep]) -> DomainValidationError | None:
    ordered = sorted(steps, key=lambda s: s.start_date)
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if current.start_date <= previous.end_date:
            return DomainValidationError(
                field="ramp_steps",
                code="overlapping_steps",
                message=(
                    f"Ramp steps overlap: {previous.start_date}–{previous.end_date} and "
                    f"{current.start_date}–{current.end_date}."
                ),
            )
    return None
