"""Every write that matters to a contract: create, change, and each status move.

Each service is one durable transaction, validates everything before writing, records
who did it (simple-history keeps before/after) and returns the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.audit import actor_or_none, audit_next_save
from core.bounds import check_contract_value, term_years
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import (
    Account,
    Contract,
    ContractKind,
    ContractLine,
    ContractStatus,
    Opportunity,
    Product,
    RampStep,
)

from .bulk_rows import NewRows, copy_new_rows
from .common import locked_contract as _locked
from .common import move_contract as _move
from .common import require_comment as _require_comment
from .dealdesk import reevaluate_after_change, route_submission, withdraw_open_review
from .tax_basis import PriceBases, check_price_book_basis, price_bases
from .validation import (
    contract_header_errors,
    contract_line_errors,
    overlapping_steps_error,
    ramp_step_errors,
)

# Hooks other domain apps register (billing makes the schedule on activation) so that
# ordermgmt does not import them and activation stays one transaction.
ON_ACTIVATION: list[Callable[..., None]] = []
# Cancelling an active contract ends its service on the day it is cancelled: billing
# stops (billing) and revenue stops at that day (revenue). Same transaction.
ON_CANCELLATION: list[Callable[..., None]] = []
# Checks run before activation when the caller passes the user's confirm_catch_up answer
# (billing refuses to back-bill past periods unconfirmed): hook(contract=, confirmed=).
ACTIVATION_GUARDS: list[Callable[..., None]] = []
# What activation would bill (billing.selectors.catch_up.catch_up_preview), for the
# activation confirmation page: hook(contract=) -> a CatchUp.
ACTIVATION_PREVIEWS: list[Callable[..., object]] = []


# New rows built positionally (see bulk_rows.NewRows): a page of booked deals makes
# thousands of contracts and lines.
_NEW_CONTRACT = NewRows(Contract)
_NEW_LINE = NewRows(ContractLine)


@dataclass
class RampStepInput:
    start_date: date
    end_date: date
    quantity: Decimal
    unit_price: Decimal


@dataclass
class ContractLineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")
    currency: str | None = None
    description: str = ""
    ramp_steps: Sequence[RampStepInput] = field(default_factory=list)


@dataclass
class ContractTerms:
    name: str
    start_date: date
    end_date: date
    currency: str
    payment_terms: str = "NET30"
    billing_frequency: str = "annual"
    billing_timing: str = "advance"
    day_count_convention: str = "actual_actual"
    prices_include_tax: bool = False
    po_number: str = ""
    billing_anchor_day: int | None = None
    custom_billing_plan: list = field(default_factory=list)
    auto_renew: bool = False
    termination_for_convenience: bool = False


def _build_lines(
    contract: Contract, lines: Sequence[ContractLineInput], *, bases: PriceBases | None = None
) -> list[tuple[ContractLine, list[RampStep]]]:
    """Validates every line and step before anything is written."""
    built = []
    for index, line_input in enumerate(lines):
        product = line_input.product
        line = _NEW_LINE(
            {
                "contract_id": contract.pk,
                "product_id": product.pk,
                "description": line_input.description or product.name,
                "currency": line_input.currency or contract.currency,
                "quantity": Decimal(line_input.quantity),
                "unit_price": Decimal(line_input.unit_price),
                "discount_percent": Decimal(line_input.discount_percent),
            },
            contract=contract,
            product=product,
        )
        errors = contract_line_errors(line, contract=contract)
        if errors:
            err = errors[0]
            raise DomainValidationError(
                field=f"lines[{index}].{err.field}", code=err.code, message=err.message
            )
        steps = []
        for step_index, step_input in enumerate(line_input.ramp_steps):
            step = RampStep(
                start_date=step_input.start_date,
                end_date=step_input.end_date,
                quantity=Decimal(step_input.quantity),
                unit_price=Decimal(step_input.unit_price),
            )
            step_errors = ramp_step_errors(step, contract=contract)
            if step_errors:
                err = step_errors[0]
                raise DomainValidationError(
                    field=f"lines[{index}].ramp_steps[{step_index}].{err.field}",
                    code=err.code,
                    message=err.message,
                )
            steps.append(step)
        overlap = overlapping_steps_error(steps)
        if overlap:
            raise DomainValidationError(
                field=f"lines[{index}].ramp_steps", code=overlap.code, message=overlap.message
            )
        built.append((line, steps))
    _check_contract_value(contract, built)
    check_price_book_basis(contract, [line for line, _ in built], bases=bases)
    return built


def _check_contract_value(
    contract: Contract, lines: Sequence[tuple[ContractLine, Sequence[RampStep]]]
) -> None:
    """Every line (and ramp step) over the whole term stays under the ceiling, so no
    amount derived from the contract (net amount, schedule, invoice, revenue) can
    overflow its column. Checked before anything is written."""
    years = term_years(contract.start_date, contract.end_date)
    value = Decimal(0)
    for index, (line, steps) in enumerate(lines):
        value += line.quantity * line.unit_price * years
        value += sum((s.quantity * s.unit_price * years for s in steps), Decimal(0))
        check_contract_value(value, field=f"lines[{index}].unit_price")


def _write_lines(built: list[tuple[ContractLine, list[RampStep]]], actor, reason: str) -> None:
    for line, steps in built:
        audit_next_save(line, actor=actor, reason=reason)
        line.save()
        for step in steps:
            step.line = line
            audit_next_save(step, actor=actor, reason=reason)
            step.save()


def _validate_header(contract: Contract) -> None:
    errors = contract_header_errors(contract)
    if errors:
        raise errors[0]


@transaction.atomic(durable=True)
def create_contract(
    *,
    account: Account,
    terms: ContractTerms,
    lines: Sequence[ContractLineInput],
    actor: AbstractBaseUser | None,
    opportunity: Opportunity | None = None,
    kind: str = ContractKind.NEW,
    original_contract: Contract | None = None,
    owner: AbstractBaseUser | None = None,
) -> Contract:
    if kind != ContractKind.NEW and original_contract is None:
        raise DomainValidationError(
            field="original_contract",
            code=OrderError.REQUIRED,
            message=f"An {kind} must name the contract it changes.",
        )
    contract = Contract(
        account=account,
        opportunity=opportunity,
        kind=kind,
        original_contract=original_contract,
        owner=owner or (actor_or_none(actor)),
        **terms.__dict__,
    )
    _validate_header(contract)
    built = _build_lines(contract, lines)
    audit_next_save(contract, actor=actor, reason="contract.created")
    contract.save()
    _write_lines(built, actor, "contract.created")
    return contract


@dataclass
class DraftContractInput:
    account: Account
    terms: ContractTerms
    lines: Sequence[ContractLineInput]
    opportunity: Opportunity | None = None
    kind: str = ContractKind.NEW
    # A renewal or amendment names the contract it continues when that one is known.
    original_contract: Contract | None = None


@transaction.atomic(durable=True)
def create_draft_contracts(
    *, drafts: Sequence[DraftContractInput], actor: AbstractBaseUser | None
) -> list[Contract | DomainValidationError]:
    """create_contract for many new drafts at once (a page of booked deals).

    Each draft is validated exactly as create_contract validates it (the price book read
    once for the whole batch); the valid ones are written by COPY with one history row
    each (same actor and reason), a refused one comes back as its DomainValidationError,
    in input order, and writes nothing."""
    results: list[Contract | DomainValidationError] = []
    valid: list[tuple[Contract, list[tuple[ContractLine, list[RampStep]]]]] = []
    owner = actor if getattr(actor, "pk", None) else None
    bases = price_bases(
        (line.product.pk, draft.terms.currency) for draft in drafts for line in draft.lines
    )
    for draft in drafts:
        parents = {
            "account": draft.account,
            "opportunity": draft.opportunity,
            "original_contract": draft.original_contract,
            "owner": owner,
        }
        contract = _NEW_CONTRACT(
            {
                **{f"{name}_id": getattr(parent, "pk", None) for name, parent in parents.items()},
                "kind": draft.kind,
                **draft.terms.__dict__,
            },
            **{name: parent for name, parent in parents.items() if parent is not None},
        )
        try:
            _validate_header(contract)
            built = _build_lines(contract, draft.lines, bases=bases)
        except DomainValidationError as err:
            results.append(err)
            continue
        results.append(contract)
        valid.append((contract, built))
    if not valid:
        return results
    # COPY for the rows and their history rows: a page of booked deals is thousands of
    # rows, and compiling bulk INSERTs (then preparing value by value) was most of the time.
    history = {"reason": "contract.created", "actor": owner, "history_type": "+"}
    contracts = [c for c, _ in valid]
    copy_new_rows(contracts, **history)
    lines = []
    for contract, built in valid:
        for line, _ in built:
            line.contract_id = contract.pk
            lines.append(line)
    copy_new_rows(lines, **history)
    steps = []
    for _, built in valid:
        for line, line_steps in built:
            for step in line_steps:
                step.line = line
                steps.append(step)
    if steps:
        copy_new_rows(steps, **history)
    return results


def _require_editable(contract: Contract) -> None:
    if not contract.is_editable:
        raise DomainValidationError(
            field="status",
            code=OrderError.NOT_EDITABLE,
            message=(
                f"A {contract.get_status_display().lower()} contract cannot be edited; "
                "record an amendment instead."
            ),
        )


@transaction.atomic(durable=True)
def update_contract(
    *,
    contract: Contract,
    terms: ContractTerms,
    lines: Sequence[ContractLineInput] | None,
    actor: AbstractBaseUser | None,
) -> Contract:
    """Replace the terms (and, if given, all lines) of a contract that is still editable.

    An approved or pending contract is re-evaluated by the deal desk rules: a new or
    different flag re-opens its review."""
    contract = _locked(contract)
    _require_editable(contract)
    for name, value in terms.__dict__.items():
        setattr(contract, name, value)
    _validate_header(contract)
    built = _build_lines(contract, lines) if lines is not None else None
    if built is None:
        # Terms changed under existing lines: the lines must still fit the contract.
        for index, line in enumerate(contract.lines.all()):
            errors = contract_line_errors(line, contract=contract)
            if errors:
                raise DomainValidationError(
                    field=f"lines[{index}].{errors[0].field}",
                    code=errors[0].code,
                    message=errors[0].message,
                )
        _check_contract_value(
            contract, [(line, list(line.ramp_steps.all())) for line in contract.lines.all()]
        )
        check_price_book_basis(contract, contract.lines.all())
    audit_next_save(contract, actor=actor, reason="contract.updated")
    contract.save()
    if built is not None:
        for line in contract.lines.all():
            audit_next_save(line, actor=actor, reason="contract.updated")
            line.delete()
        _write_lines(built, actor, "contract.updated")
    return reevaluate_after_change(contract=contract, actor=actor)


@transaction.atomic(durable=True)
def submit_contract(*, contract: Contract, actor: AbstractBaseUser | None) -> Contract:
    """Draft → approved when no deal desk rule flags a term, else → pending review."""
    contract = _locked(contract)
    if not contract.lines.exists():
        raise DomainValidationError(
            field="lines", code=OrderError.NO_LINES, message="A contract needs at least one line."
        )
    if contract.status != ContractStatus.DRAFT:
        raise DomainValidationError(
            field="status",
            code=OrderError.ILLEGAL_TRANSITION,
            message=(
                f"Only a draft can be submitted; this contract is "
                f"{contract.get_status_display().lower()}."
            ),
        )
    return route_submission(contract=contract, actor=actor)


@transaction.atomic(durable=True)
def activate_contract(
    *,
    contract: Contract,
    actor: AbstractBaseUser | None,
    confirm_catch_up: bool | None = None,
) -> Contract:
    """`confirm_catch_up`: what the user answered to the back-billing guard (pages and
    API pass it; None, for scripts and imports that bill history on purpose, skips it)."""
    contract = _locked(contract)
    contract.transition_to(ContractStatus.ACTIVE)
    if confirm_catch_up is not None:
        for guard in ACTIVATION_GUARDS:
            guard(contract=contract, confirmed=confirm_catch_up)
    contract.activated_at = timezone.now()
    audit_next_save(contract, actor=actor, reason="contract.activated")
    contract.save()
    for hook in ON_ACTIVATION:
        hook(contract=contract, actor=actor)
    return contract


@transaction.atomic(durable=True)
def cancel_contract(
    *, contract: Contract, actor: AbstractBaseUser | None, comment: str
) -> Contract:
    comment = _require_comment(comment)
    contract = _locked(contract)
    was_active = contract.status == ContractStatus.ACTIVE
    withdraw_open_review(contract=contract, actor=actor)
    contract = _move(contract, ContractStatus.CANCELLED, actor, f"contract.cancelled: {comment}")
    if was_active:
        for hook in ON_CANCELLATION:
            hook(contract=contract, actor=actor, effective_date=timezone.localdate())
    return contract


@transaction.atomic(durable=True)
def expire_contract(*, contract: Contract, actor: AbstractBaseUser | None) -> Contract:
    contract = _locked(contract)
    if contract.end_date >= timezone.localdate():
        raise DomainValidationError(
            field="end_date",
            code=OrderError.NOT_ENDED,
            message=f"The contract runs until {contract.end_date}; it cannot expire yet.",
        )
    return _move(contract, ContractStatus.EXPIRED, actor, "contract.expired")
