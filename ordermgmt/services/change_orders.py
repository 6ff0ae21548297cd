"""Change orders on an active contract: quantity, price or discount, removal, product
swap (upgrade or downgrade), and term extension or shortening.

A change is co-termed on the contract's billing grid and never edits the terms a period
was billed on: the changed line ends the day before the effective date and a new line
carries the new terms from it (`ContractLine.replaces`). The change order itself is kept
(ContractChange, with history), and the hooks other apps register here turn it into
billing (credit for the unused time of the old terms, debit for the remaining time of the
new ones) and revenue effects, in the same transaction: all of it, or nothing, is saved.

Everything is validated before anything is written; each refusal names the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.audit import actor_or_none, audit_next_save
from core.bounds import check_contract_value, contract_date_errors, term_years
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import (
    ChangeKind,
    Contract,
    ContractChange,
    ContractLine,
    ContractStatus,
    Product,
    ProductPrice,
    ProrationBehavior,
    RampStep,
    RevenueType,
)

from .common import locked_contract
from .tax_basis import check_price_book_basis
from .validation import contract_line_errors, ramp_step_errors

# Billing registers its schedule effect here, revenue its ASC 606 effect; each is called
# as hook(change=..., actor=...) inside the change order's transaction.
ON_CHANGE: list[Callable[..., None]] = []
# Billing answers "was any of these lines invoiced for a day on or after this date?" as
# hook(lines=..., day=...) -> date | None (the last invoiced day), so a change that reaches
# back into an invoiced period can be refused unless the user says it is meant.
INVOICED_THROUGH: list[Callable[..., date | None]] = []


@dataclass
class ChangeOrderInput:
    kind: str
    effective_date: date | None = None
    line: ContractLine | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    product: Product | None = None
    currency: str | None = None
    new_end_date: date | None = None
    proration_behavior: str = ProrationBehavior.NEXT_INVOICE
    allow_backdated: bool = False
    reason: str = ""


def _error(field: str, code: str, message: str) -> DomainValidationError:
    return DomainValidationError(field=field, code=code, message=message)


def _require_active(contract: Contract) -> None:
    if contract.status != ContractStatus.ACTIVE:
        raise _error(
            "contract",
            OrderError.CONTRACT_NOT_ACTIVE,
            f"{contract.reference} is {contract.get_status_display().lower()}; only an active "
            "contract takes change orders.",
        )


def _check_line(contract: Contract, line: ContractLine | None, effective: date) -> ContractLine:
    if line is None:
        raise _error("line", OrderError.REQUIRED, "Choose the contract line to change.")
    if line.contract_id != contract.pk:
        raise _error(
            "line",
            OrderError.LINE_NOT_ON_CONTRACT,
            f"Line {line.pk} is not a line of {contract.reference}.",
        )
    line = ContractLine.objects.select_related("product").get(pk=line.pk)
    if line.product.revenue_type != RevenueType.SUBSCRIPTION:
        raise _error(
            "line",
            OrderError.NOT_A_SUBSCRIPTION,
            f"{line.product.sku} is not a subscription; only subscription lines are "
            "changed mid-term.",
        )
    if not line.serves_from <= effective <= line.serves_until:
        raise _error(
            "effective_date",
            OrderError.LINE_NOT_SERVING,
            f"{line.product.sku} serves {line.serves_from} – {line.serves_until}, not on "
            f"{effective}.",
        )
    return line


def _check_effective_date(contract: Contract, effective: date | None) -> date:
    if effective is None:
        raise _error("effective_date", OrderError.REQUIRED, "Say from which day it changes.")
    if not contract.start_date <= effective <= contract.end_date:
        raise _error(
            "effective_date",
            OrderError.OUTSIDE_CONTRACT_TERM,
            f"{effective} is outside the contract term {contract.start_date} – "
            f"{contract.end_date}.",
        )
    return effective


def _new_terms(
    contract: Contract, line: ContractLine, data: ChangeOrderInput, effective: date
) -> ContractLine:
    """The line that carries the new terms (unsaved), validated like any contract line."""
    product = line.product
    quantity, unit_price, discount = line.quantity, line.unit_price, line.discount_percent
    if data.kind == ChangeKind.QUANTITY:
        if data.quantity is None:
            raise _error("quantity", OrderError.REQUIRED, "Give the new quantity.")
        quantity = data.quantity
    elif data.kind == ChangeKind.PRICE:
        if data.unit_price is None and data.discount_percent is None:
            raise _error("unit_price", OrderError.REQUIRED, "Give a new unit price or discount.")
        unit_price = data.unit_price if data.unit_price is not None else unit_price
        discount = data.discount_percent if data.discount_percent is not None else discount
    elif data.kind == ChangeKind.SWAP:
        product = data.product
        if product is None:
            raise _error("product", OrderError.REQUIRED, "Choose the product that replaces it.")
        if product.revenue_type != RevenueType.SUBSCRIPTION:
            raise _error(
                "product",
                OrderError.NOT_A_SUBSCRIPTION,
                f"{product.sku} is not a subscription product.",
            )
        if product.pk == line.product_id:
            raise _error("product", OrderError.NOTHING_CHANGES, "That is the same product.")
        quantity = data.quantity if data.quantity is not None else quantity
        discount = data.discount_percent if data.discount_percent is not None else discount
        unit_price = data.unit_price
        if unit_price is None:
            price = ProductPrice.objects.filter(product=product, currency=contract.currency).first()
            unit_price = price.list_price if price else None
            if unit_price is None:
                raise _error(
                    "product",
                    OrderError.NO_PRICE_IN_CURRENCY,
                    f"{product.sku} has no list price in {contract.currency}; give a unit price.",
                )
    steps = _remaining_steps(line, data, effective, quantity, unit_price)
    if steps:  # the line carries the terms of the step it starts in
        quantity, unit_price = steps[0].quantity, steps[0].unit_price
    new_line = ContractLine(
        contract=contract,
        product=product,
        description=product.name if product.pk != line.product_id else line.description,
        currency=data.currency or contract.currency,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        discount_percent=Decimal(discount),
        replaces=line,
    )
    errors = contract_line_errors(new_line, contract=contract)
    if errors:
        raise errors[0]
    if data.kind == ChangeKind.SWAP:  # priced from the new product's book: same tax basis
        try:
            check_price_book_basis(contract, [new_line])
        except DomainValidationError as err:
            raise _error("product", err.code, err.message) from err
    for step in steps:
        for error in ramp_step_errors(step, contract=contract):
            raise _error(
                error.field if error.field != "end_date" else "line", error.code, error.message
            )
    old_steps = [
        (s.start_date, s.end_date, s.quantity, s.unit_price) for s in steps_from(line, effective)
    ]
    new_steps = [(s.start_date, s.end_date, s.quantity, s.unit_price) for s in steps]
    if (new_line.product_id, new_line.quantity, new_line.unit_price, new_line.discount_percent) == (
        line.product_id,
        line.quantity,
        line.unit_price,
        line.discount_percent,
    ) and old_steps == new_steps:
        raise _error(
            {"quantity": "quantity", "price": "unit_price"}.get(data.kind, "line"),
            OrderError.NOTHING_CHANGES,
            "The new terms are the same as the current ones.",
        )
    years = term_years(contract.start_date, contract.end_date)
    for terms in [new_line, *steps]:
        check_contract_value(terms.quantity * terms.unit_price * years, field="unit_price")
    new_line.pending_steps = steps
    return new_line


def steps_from(line: ContractLine, effective: date) -> list[RampStep]:
    """The ramp steps a change from `effective` covers: the one it falls in (clipped to
    start that day) and every later one."""
    return [
        RampStep(
            start_date=max(step.start_date, effective),
            end_date=step.end_date,
            quantity=step.quantity,
            unit_price=step.unit_price,
        )
        for step in line.ramp_steps.all()
        if step.end_date >= effective
    ]


def _remaining_steps(
    line: ContractLine,
    data: ChangeOrderInput,
    effective: date,
    quantity: Decimal,
    unit_price: Decimal | None,
) -> list[RampStep]:
    """The ramp of the line carrying the new terms (none for a line without steps).

    The rule, as a Zuora "update product" order action without an end date or a Stripe
    subscription schedule whose phases from that date are rewritten: the change holds
    from its date to the end of the line, across the ramp steps it covers. A quantity
    change sets the quantity of each of those steps and keeps each step's price; a new
    unit price (a price change, or the price of the product swapped in) replaces each
    step's price and keeps its quantity (a swap given a quantity sets it too); a discount
    applies to the whole line. The steps before the date stay on the old line."""
    steps = steps_from(line, effective)
    for step in steps:
        if data.kind == ChangeKind.QUANTITY or (
            data.kind == ChangeKind.SWAP and data.quantity is not None
        ):
            step.quantity = Decimal(quantity)
        if data.kind in (ChangeKind.PRICE, ChangeKind.SWAP) and (
            data.kind == ChangeKind.SWAP or data.unit_price is not None
        ):
            step.unit_price = Decimal(unit_price)
    return steps


def _check_term(contract: Contract, new_end: date | None) -> date:
    if new_end is None:
        raise _error("new_end_date", OrderError.REQUIRED, "Give the new end date.")
    if new_end == contract.end_date:
        raise _error("new_end_date", OrderError.NOTHING_CHANGES, "The term already ends then.")
    if new_end < contract.start_date:
        raise _error(
            "new_end_date",
            OrderError.END_BEFORE_START,
            f"The end date {new_end} is before the start date {contract.start_date}.",
        )
    for error in contract_date_errors(contract.start_date, new_end):
        raise _error("new_end_date", error.code, error.message)
    late = contract.lines.filter(service_start__gt=new_end).first()
    if late is not None:
        raise _error(
            "new_end_date",
            OrderError.OUTSIDE_CONTRACT_TERM,
            f"A line starts on {late.service_start}, after {new_end}; remove it first.",
        )
    return new_end


def _check_backdating(
    contract: Contract, lines: list[ContractLine], effective: date, data: ChangeOrderInput
) -> bool:
    """A change that reaches back into a period already invoiced needs allow_backdated
    and a reason: it credits and re-bills days the customer was already invoiced for."""
    if effective >= timezone.localdate():
        return False
    invoiced = [d for hook in INVOICED_THROUGH if (d := hook(lines=lines, day=effective))]
    if not invoiced:
        return False
    if not data.allow_backdated:
        raise _error(
            "effective_date",
            OrderError.BACKDATED_CHANGE,
            f"{effective} is in the past, in a period already invoiced (through "
            f"{max(invoiced)}); to credit and re-bill it, set allow_backdated with a reason.",
        )
    if not (data.reason or "").strip():
        raise _error("reason", OrderError.REQUIRED, "Say why the change is backdated.")
    return True


@transaction.atomic(durable=True)
def make_change_order(
    *, contract: Contract, change: ChangeOrderInput, actor: AbstractBaseUser | None
) -> ContractChange:
    contract = locked_contract(contract)
    _require_active(contract)
    if change.proration_behavior not in ProrationBehavior.values:
        raise _error(
            "proration_behavior",
            OrderError.OUT_OF_RANGE,
            f"Proration is one of {', '.join(ProrationBehavior.values)}.",
        )
    if contract.billing_frequency == "custom" and (
        change.proration_behavior == ProrationBehavior.NONE
    ):
        raise _error(
            "proration_behavior",
            OrderError.OUT_OF_RANGE,
            f"{contract.reference} bills by a custom installment plan: its pending "
            "installments are re-spread to the new value, and what cannot be spread is "
            "credited or debited now or on the next invoice; choose one of those.",
        )
    if change.currency and change.currency != contract.currency:
        raise _error(
            "currency",
            OrderError.CURRENCY_MISMATCH,
            f"The change is in {change.currency} but the contract is in {contract.currency}.",
        )
    if change.kind not in ChangeKind.values:
        raise _error("kind", OrderError.OUT_OF_RANGE, f"Unknown change {change.kind!r}.")
    record = ContractChange(
        contract=contract,
        kind=change.kind,
        proration_behavior=change.proration_behavior,
        reason=(change.reason or "").strip(),
        created_by=actor_or_none(actor),
    )
    if change.kind == ChangeKind.TERM:
        new_end = _check_term(contract, change.new_end_date)
        effective = min(contract.end_date, new_end) + timedelta(days=1)
        lines = list(contract.lines.all())
        record.previous_end_date, record.new_end_date = contract.end_date, new_end
        record.backdated = _check_backdating(contract, lines, effective, change)
        record.effective_date = effective
        _write_term(contract, record, new_end, actor)
    else:
        effective = _check_effective_date(contract, change.effective_date)
        line = _check_line(contract, change.line, effective)
        new_line = (
            None
            if change.kind == ChangeKind.REMOVE
            else _new_terms(contract, line, change, effective)
        )
        record.backdated = _check_backdating(contract, [line], effective, change)
        record.effective_date, record.line = effective, line
        if new_line is not None:
            record.product = new_line.product
            record.quantity = new_line.quantity
            record.unit_price = new_line.unit_price
            record.discount_percent = new_line.discount_percent
        _write_line_change(line, new_line, record, actor)
    for hook in ON_CHANGE:
        hook(change=record, actor=actor)
    return record


def _reason(record: ContractChange) -> str:
    return f"contract.change_order:{record.kind}"


def _write_line_change(
    line: ContractLine, new_line: ContractLine | None, record: ContractChange, actor
) -> None:
    effective = record.effective_date
    if new_line is not None:
        new_line.service_start = effective
        new_line.service_end = line.service_end
        audit_next_save(new_line, actor=actor, reason=_reason(record))
        new_line.save()
        for step in getattr(new_line, "pending_steps", []):
            step.line = new_line
            audit_next_save(step, actor=actor, reason=_reason(record))
            step.save()
        record.new_line = new_line
    line.service_end = effective - timedelta(days=1)
    audit_next_save(line, actor=actor, reason=_reason(record))
    line.save(update_fields=["service_end"])
    audit_next_save(record, actor=actor, reason=_reason(record))
    record.save()


def _write_term(contract: Contract, record: ContractChange, new_end: date, actor) -> None:
    # Lines that run to the contract's end follow it; a line ended by an earlier change
    # keeps its end unless the term now ends before it.
    for line in contract.lines.filter(service_end__gt=new_end):
        line.service_end = new_end
        audit_next_save(line, actor=actor, reason=_reason(record))
        line.save(update_fields=["service_end"])
    # A ramp's last step continues through an extension (the last interval's terms
    # renew, as Zuora extends a ramp deal's last interval); on a shortened term billing
    # and revenue clip the steps to the days the line serves.
    for step in RampStep.objects.filter(
        line__contract=contract, line__service_end__isnull=True, end_date=contract.end_date
    ).filter(end_date__lt=new_end):
        step.end_date = new_end
        audit_next_save(step, actor=actor, reason=_reason(record))
        step.save(update_fields=["end_date"])
    contract.end_date = new_end
    audit_next_save(contract, actor=actor, reason=_reason(record))
    contract.save()
    audit_next_save(record, actor=actor, reason=_reason(record))
    record.save()
