"""Contract input rules, shared by the services and by model.clean() (admin forms).

Each function returns every error it finds, field by field; callers raise the first or
show them all. Nothing here writes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from core.bounds import contract_date_errors, text_length_errors
from core.errors import DomainValidationError
from core.money import is_known_currency
from core.terms import PaymentTerms
from ordermgmt.error_codes import OrderError

if TYPE_CHECKING:
    from ordermgmt.models import Contract, ContractLine, RampStep


def contract_header_errors(contract: Contract) -> list[DomainValidationError]:
    errors = text_length_errors(
        type(contract), {"name": contract.name, "po_number": contract.po_number}
    )
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors.append(
            DomainValidationError(
                field="end_date",
                code=OrderError.END_BEFORE_START,
                message=(
                    f"The end date {contract.end_date} is before the start date "
                    f"{contract.start_date}."
                ),
            )
        )
    errors.extend(contract_date_errors(contract.start_date, contract.end_date))
    if not is_known_currency(contract.currency):
        errors.append(
            DomainValidationError(
                field="currency",
                code=OrderError.UNKNOWN_CURRENCY,
                message=f"{contract.currency!r} is not an ISO 4217 currency code.",
            )
        )
    try:
        PaymentTerms.parse(contract.payment_terms)
    except DomainValidationError as err:
        errors.append(err)
    anchor = contract.billing_anchor_day
    if anchor is not None and not 1 <= anchor <= 28:
        errors.append(
            DomainValidationError(
                field="billing_anchor_day",
                code=OrderError.OUT_OF_RANGE,
                message=f"Billing day {anchor} must be between 1 and 28.",
            )
        )
    errors.extend(custom_plan_errors(contract))
    return errors


def custom_plan_errors(contract: Contract) -> list[DomainValidationError]:
    """A custom billing plan: installments on dates inside the term adding to 100%."""
    plan = contract.custom_billing_plan or []
    if contract.billing_frequency != "custom":
        if plan:
            return [
                DomainValidationError(
                    field="custom_billing_plan",
                    code=OrderError.PLAN_WITHOUT_CUSTOM_FREQUENCY,
                    message="A billing plan applies only to the custom billing frequency.",
                )
            ]
        return []

    def error(code: str, message: str) -> list[DomainValidationError]:
        return [DomainValidationError(field="custom_billing_plan", code=code, message=message)]

    if not plan:
        return error("required", "Custom billing needs installments (date and percent).")
    total = Decimal(0)
    for index, item in enumerate(plan):
        try:
            billing_date = date.fromisoformat(str(item["billing_date"]))
            percent = Decimal(str(item["percent"]))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return error(
                "malformed_installment",
                f"Installment {index + 1} needs a billing_date (YYYY-MM-DD) and a percent.",
            )
        if percent <= 0:
            return error("non_positive_percent", f"Installment {index + 1} has {percent}%.")
        if (
            contract.start_date
            and contract.end_date
            and not (contract.start_date <= billing_date <= contract.end_date)
        ):
            return error(
                "outside_contract_term",
                f"Installment {index + 1} on {billing_date} falls outside the contract term.",
            )
        total += percent
    if total != 100:
        return error("percent_not_100", f"Installments add up to {total}%, not 100%.")
    return []


def contract_line_errors(
    line: ContractLine, *, contract: Contract | None
) -> list[DomainValidationError]:
    errors = text_length_errors(type(line), {"description": line.description})
    if line.quantity is not None and line.quantity < 0:
        errors.append(
            DomainValidationError(
                field="quantity",
                code=OrderError.NEGATIVE_QUANTITY,
                message=f"Quantity {line.quantity} is negative.",
            )
        )
    if line.unit_price is not None and line.unit_price < 0:
        errors.append(
            DomainValidationError(
                field="unit_price",
                code=OrderError.NEGATIVE_UNIT_PRICE,
                message=f"Unit price {line.unit_price} is negative; use a discount instead.",
            )
        )
    discount = line.discount_percent if line.discount_percent is not None else Decimal(0)
    if discount < 0 or discount > 100:
        errors.append(
            DomainValidationError(
                field="discount_percent",
                code=OrderError.DISCOUNT_OUT_OF_RANGE,
                message=f"Discount {discount}% is outside 0 to 100%.",
            )
        )
    if line.currency and not is_known_currency(line.currency):
        errors.append(
            DomainValidationError(
                field="currency",
                code=OrderError.UNKNOWN_CURRENCY,
                message=f"{line.currency!r} is not an ISO 4217 currency code.",
            )
        )
    elif (
        contract is not None
        and is_known_currency(contract.currency)  # else the contract's own error says it
        and line.currency
        and line.currency != contract.currency
    ):
        errors.append(
            DomainValidationError(
                field="currency",
                code=OrderError.CURRENCY_MISMATCH,
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
                code=OrderError.END_BEFORE_START,
                message=f"The step ends {step.end_date}, before it starts {step.start_date}.",
            )
        )
    if step.quantity is not None and step.quantity < 0:
        errors.append(
            DomainValidationError(
                field="quantity", code=OrderError.NEGATIVE_QUANTITY, message="Quantity is negative."
            )
        )
    if step.unit_price is not None and step.unit_price < 0:
        errors.append(
            DomainValidationError(
                field="unit_price",
                code=OrderError.NEGATIVE_UNIT_PRICE,
                message="Unit price is negative.",
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
                code=OrderError.OUTSIDE_CONTRACT_TERM,
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
                code=OrderError.OVERLAPPING_STEPS,
                message=(
                    f"Ramp steps overlap: {previous.start_date}–{previous.end_date} and "
                    f"{current.start_date}–{current.end_date}."
                ),
            )
    return None
