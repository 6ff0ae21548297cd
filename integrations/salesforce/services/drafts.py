"""Draft contracts from booked deals, and later Salesforce changes to their terms.

A new Closed Won opportunity gets one draft contract, made by
`ordermgmt.services.create_draft_contracts` (a page at a time) with the `salesforce-sync`
user as the actor. That
service is durable (its own transaction, by design), so it runs right after the page
that wrote the opportunity commits. The page marks the opportunity `contract_pending`
in the same transaction as the opportunity itself; the mark is cleared only when the
contract exists. A crash in between leaves the mark, and every run finishes the marked
ones first: nothing is half-done for long, and nothing is done twice (an existing
contract for the opportunity is linked instead of creating a second one).

Once the contract exists, its terms and lines are local records too. A later Salesforce
change is compared three ways (last synced, Salesforce now, contract now): changed only
in Salesforce and the contract is still editable -> `update_contracts` applies it (all
of a page's changes in one set-based call, a history row for every changed row);
changed on both sides -> conflict issue; the contract is active, expired or cancelled
-> a `contract_locked` issue (the change needs an amendment, which a person records).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from core.errors import DomainValidationError
from ordermgmt.models import (
    Account,
    Contract,
    ContractKind,
    ContractStatus,
    Opportunity,
    Product,
)
from ordermgmt.services import (
    ContractLineInput,
    ContractTerms,
    ContractUpdate,
    DraftContractInput,
    create_draft_contracts,
    update_contract,
    update_contracts,
)

from ..models import IssueKind, LogLevel, Resolution, SyncedRecord
from .bulk import any_of, update_rows
from .context import MISSING, IssueBook, IssueDraft, SyncContext
from .mapping import canonical
from .units import contract_lines_composite

logger = logging.getLogger("integrations.salesforce.sync")

SYNC_USERNAME = "salesforce-sync"
TERM_FIELDS = (
    "name",
    "start_date",
    "end_date",
    "currency",
    "payment_terms",
    "billing_frequency",
    "custom_billing_plan",
    "po_number",
)


def sync_user():
    """The actor of every write the sync makes (history shows it as the author)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYNC_USERNAME,
        defaults={"first_name": "Salesforce", "last_name": "sync", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _terms_from(values: dict[str, Any], overrides: dict[str, Any] | None = None) -> ContractTerms:
    from datetime import date

    merged = {field: values.get(f"contract.{field}") for field in TERM_FIELDS}
    merged.update(overrides or {})
    return ContractTerms(
        name=merged["name"],
        start_date=date.fromisoformat(str(merged["start_date"])),
        end_date=date.fromisoformat(str(merged["end_date"])),
        currency=merged["currency"],
        payment_terms=merged["payment_terms"] or "NET30",
        billing_frequency=merged["billing_frequency"] or "annual",
        custom_billing_plan=list(merged["custom_billing_plan"] or []),
        po_number=merged["po_number"] or "",
    )


def _line_inputs(
    lines: Iterable[dict[str, Any]], products: dict[int, Product] | None = None
) -> list[ContractLineInput]:
    lines = list(lines)
    if products is None:
        products = Product.objects.in_bulk([line["product_id"] for line in lines])
    return [
        ContractLineInput(
            product=products[line["product_id"]],
            quantity=Decimal(line["quantity"]),
            unit_price=Decimal(line["unit_price"]),
            discount_percent=Decimal(line["discount_percent"]),
        )
        for line in lines
    ]


def draft_pending_contracts(ctx: SyncContext, *, sf_ids: Iterable[str] | None = None) -> int:
    """Create the draft contract of every opportunity marked contract_pending: all of
    them in one bulk call (ordermgmt's create_draft_contracts, which validates each as
    create_contract does); a refused one is a bad-record issue, the others are made."""
    pending = SyncedRecord.objects.filter(sf_object="Opportunity", contract_pending=True)
    if sf_ids is not None:
        pending = pending.filter(any_of("sf_id", sf_ids))
    links = list(pending.order_by("pk"))
    if not links:
        return 0
    opportunities = {
        opportunity.pk: opportunity
        for opportunity in Opportunity.objects.select_related("account").filter(
            any_of("pk", [link.local_id for link in links])
        )
    }
    return _draft_contracts(ctx, links, opportunities)


def draft_page_contracts(
    ctx: SyncContext,
    *,
    links: Iterable[SyncedRecord],
    opportunities: dict[int, Opportunity],
    accounts: dict[int, Account],
) -> int:
    """draft_pending_contracts for the page just committed, from the links and rows the
    page wrote (as they are in the database) instead of reading them again."""
    pending = sorted((link for link in links if link.contract_pending), key=lambda link: link.pk)
    if not pending:
        return 0
    found = {}
    for link in pending:
        opportunity = opportunities.get(link.local_id)
        if opportunity is not None:
            account = accounts.get(opportunity.account_id)
            if account is not None:  # else read when asked for
                Opportunity.account.field.set_cached_value(opportunity, account)
            found[opportunity.pk] = opportunity
    return _draft_contracts(ctx, pending, found)


def _draft_contracts(
    ctx: SyncContext, links: list[SyncedRecord], opportunities: dict[int, Opportunity]
) -> int:
    existing = {}
    for contract in Contract.objects.filter(any_of("opportunity_id", opportunities)).order_by(
        "-pk"
    ):
        existing[contract.opportunity_id] = contract
    products = Product.objects.in_bulk(
        {line["product_id"] for link in links for line in link.values.get("contract.lines") or []}
    )
    issues = IssueBook(ctx)
    done: list[SyncedRecord] = []
    to_create: list[tuple[SyncedRecord, Opportunity]] = []
    for link in links:
        opportunity = opportunities.get(link.local_id)
        if opportunity is None:
            link.contract_pending = False
            done.append(link)
        elif opportunity.pk in existing:
            _linked(issues, link, existing[opportunity.pk], done)
        else:
            to_create.append((link, opportunity))
    renewed = _renewed_contracts(to_create)
    results = (
        create_draft_contracts(
            drafts=[
                DraftContractInput(
                    account=opportunity.account,
                    terms=_terms_from(link.values),
                    lines=_line_inputs(link.values.get("contract.lines") or [], products),
                    opportunity=opportunity,
                    kind=link.values.get("contract.kind") or ContractKind.NEW,
                    original_contract=renewed.get(link.sf_id),
                )
                for link, opportunity in to_create
            ],
            actor=ctx.actor,
        )
        if to_create
        else []
    )
    created = 0
    for (link, opportunity), result in zip(to_create, results, strict=True):
        if isinstance(result, DomainValidationError):
            _refused(ctx, issues, link, opportunity, result)
            continue
        created += 1
        ctx.count("Contract", "created")
        _linked(issues, link, result, done)
    with transaction.atomic():
        update_rows(done, ["contract", "contract_pending"])
        issues.flush()
    return created


def _renewed_contracts(
    to_create: list[tuple[SyncedRecord, Opportunity]],
) -> dict[str, Contract]:
    """For each renewal deal, the contract it renews when there is exactly one: the
    account's active or expired contract in the same currency that ends the day before
    the renewal starts. Otherwise none (a specialist links it in the contract form)."""
    wanted: dict[str, tuple[int, str, date]] = {}
    for link, opportunity in to_create:
        start = link.values.get("contract.start_date")
        if link.values.get("contract.kind") == ContractKind.RENEWAL and start:
            previous_end = date.fromisoformat(str(start)) - timedelta(days=1)
            wanted[link.sf_id] = (
                opportunity.account_id,
                link.values.get("contract.currency") or "",
                previous_end,
            )
    if not wanted:
        return {}
    candidates: dict[tuple[int, str, date], list[Contract]] = {}
    for contract in Contract.objects.filter(
        account_id__in={key[0] for key in wanted.values()},
        end_date__in={key[2] for key in wanted.values()},
        status__in=[ContractStatus.ACTIVE, ContractStatus.EXPIRED],
    ):
        candidates.setdefault(
            (contract.account_id, contract.currency, contract.end_date), []
        ).append(contract)
    return {
        sf_id: candidates[key][0]
        for sf_id, key in wanted.items()
        if len(candidates.get(key, [])) == 1
    }


def _linked(
    issues: IssueBook, link: SyncedRecord, contract: Contract, done: list[SyncedRecord]
) -> None:
    issues.resolve(IssueKind.BAD_RECORD, link.sf_id, "contract", Resolution.FIXED_IN_SALESFORCE)
    link.contract = contract
    link.contract_pending = False
    done.append(link)


def _refused(
    ctx: SyncContext,
    issues: IssueBook,
    link: SyncedRecord,
    opportunity: Opportunity,
    err: DomainValidationError,
) -> None:
    issues.open(
        IssueDraft(
            kind=IssueKind.BAD_RECORD,
            sf_object="Opportunity",
            sf_id=link.sf_id,
            field="contract",
            code=err.code,
            message=f"The draft contract could not be created: {err.field}: {err.message}",
            local_model="ordermgmt.opportunity",
            local_id=opportunity.pk,
            account_id=opportunity.account_id,
            opportunity_id=opportunity.pk,
        )
    )
    ctx.log(
        f"Draft contract not created: {err.field} {err.code}.",
        level=LogLevel.ERROR,
        sf_object="Opportunity",
        sf_id=link.sf_id,
        code=err.code,
    )


def _local_terms(contract: Contract) -> dict[str, Any]:
    values = {f"contract.{name}": canonical(getattr(contract, name)) for name in TERM_FIELDS}
    values["contract.lines"] = contract_lines_composite(
        {
            "product_id": line.product_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "ramp_steps": len(line.ramp_steps.all()),
        }
        for line in contract.lines.all()
    )
    return values


def reconcile_contract_terms(
    ctx: SyncContext, links: dict[str, SyncedRecord], remote_terms: dict[str, dict[str, Any]]
) -> None:
    """Salesforce changes to the terms of opportunities that already have a contract, a
    page at a time: compared three ways per contract, then every change that may be
    applied goes to ordermgmt's update_contracts in one call (set-based, a history row
    for each changed row), and the links and issues are written in bulk."""
    changed = {
        sf_id: link
        for sf_id, link in links.items()
        if link.contract_id
        and link.closed_won  # a lost deal's contract waits for a person (its issue)
        and sf_id in remote_terms
        and any(link.values.get(k, MISSING) != v for k, v in remote_terms[sf_id].items())
    }
    if not changed:
        return
    contracts = Contract.objects.prefetch_related("lines__ramp_steps").in_bulk(
        [link.contract_id for link in changed.values()]
    )
    issues = IssueBook(ctx)
    bases: list[tuple[SyncedRecord, dict[str, Any]]] = []
    applying: list[tuple[SyncedRecord, Contract, dict[str, Any], dict[str, Any]]] = []
    for sf_id, link in changed.items():
        contract = contracts.get(link.contract_id)
        if contract is None:
            continue
        base, to_apply = _compare_terms(issues, link, contract, remote_terms[sf_id])
        bases.append((link, base))
        if to_apply:
            applying.append((link, contract, base, to_apply))
    if applying:
        _apply_changes(ctx, issues, applying)
    with transaction.atomic():
        dirty = []
        for link, base in bases:
            if base != link.values:
                link.values = base
                dirty.append(link)
        update_rows(dirty, ["values"])
        issues.flush()


def _refs(contract: Contract) -> dict[str, Any]:
    return {
        "local_model": "ordermgmt.contract",
        "local_id": contract.pk,
        "account_id": contract.account_id,
        "opportunity_id": contract.opportunity_id,
        "contract_id": contract.pk,
    }


def _compare_terms(
    issues: IssueBook, link: SyncedRecord, contract: Contract, remote: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The three-way rule for one contract: the new base, and the changes to apply."""
    local = _local_terms(contract)
    base = dict(link.values)
    to_apply: dict[str, Any] = {}
    refs = _refs(contract)
    for key, r in remote.items():
        b = base.get(key, MISSING)
        mine = local.get(key)
        if r == b:
            if mine == r:
                issues.resolve(IssueKind.CONFLICT, link.sf_id, key, Resolution.CONVERGED)
            continue
        if mine == r:
            base[key] = r
            issues.resolve(IssueKind.CONFLICT, link.sf_id, key, Resolution.CONVERGED)
            issues.resolve(IssueKind.CONTRACT_LOCKED, link.sf_id, key, Resolution.CONVERGED)
        elif b is not MISSING and mine == b:
            to_apply[key] = r
        else:
            issues.open(
                IssueDraft(
                    kind=IssueKind.CONFLICT,
                    sf_object="Opportunity",
                    sf_id=link.sf_id,
                    field=key,
                    code="changed_on_both_sides",
                    message=(
                        f"The contract {contract.reference} was changed here and the booking "
                        "in Salesforce; the contract's value was kept."
                    ),
                    local_value=mine,
                    salesforce_value=r,
                    **refs,
                )
            )
    if to_apply and not contract.is_editable:
        for key, r in to_apply.items():
            issues.open(
                IssueDraft(
                    kind=IssueKind.CONTRACT_LOCKED,
                    sf_object="Opportunity",
                    sf_id=link.sf_id,
                    field=key,
                    code="contract_not_editable",
                    message=(
                        f"The booking changed in Salesforce after the contract "
                        f"{contract.reference} became {contract.get_status_display().lower()}; "
                        "record an amendment if the change stands."
                    ),
                    local_value=local.get(key),
                    salesforce_value=r,
                    **refs,
                )
            )
        to_apply = {}
    return base, to_apply


def _apply_changes(
    ctx: SyncContext,
    issues: IssueBook,
    applying: list[tuple[SyncedRecord, Contract, dict[str, Any], dict[str, Any]]],
) -> None:
    products = Product.objects.in_bulk(
        {
            line["product_id"]
            for _, _, _, to_apply in applying
            for line in to_apply.get("contract.lines") or []
        }
    )
    results = update_contracts(
        updates=[
            ContractUpdate(
                contract=contract,
                terms=_contract_terms(contract, to_apply),
                lines=(
                    _line_inputs(to_apply["contract.lines"], products)
                    if "contract.lines" in to_apply
                    else None
                ),
            )
            for _, contract, _, to_apply in applying
        ],
        actor=ctx.actor,
    )
    for (link, contract, base, to_apply), result in zip(applying, results, strict=True):
        if isinstance(result, DomainValidationError):
            issues.open(
                IssueDraft(
                    kind=IssueKind.BAD_RECORD,
                    sf_object="Opportunity",
                    sf_id=link.sf_id,
                    field="contract",
                    code=result.code,
                    message=f"The Salesforce change could not be applied to the contract "
                    f"{contract.reference}: {result.field}: {result.message}",
                    **_refs(contract),
                )
            )
            continue
        base.update(to_apply)
        ctx.count("Contract", "updated")
        ctx.log(
            f"Contract {contract.reference} updated from Salesforce: "
            f"{', '.join(sorted(k.removeprefix('contract.') for k in to_apply))}.",
            sf_object="Opportunity",
            sf_id=link.sf_id,
            code="contract_updated",
        )


def _contract_terms(contract: Contract, values: dict[str, Any]) -> ContractTerms:
    """The contract's terms with "contract.<field>" values (canonical) laid over them."""
    current = {name: getattr(contract, name) for name in TERM_FIELDS}
    overrides = {
        key.removeprefix("contract."): value
        for key, value in values.items()
        if key != "contract.lines"
    }
    terms = _terms_from({f"contract.{k}": canonical(v) for k, v in current.items()}, overrides)
    terms.billing_timing = contract.billing_timing
    terms.day_count_convention = contract.day_count_convention
    terms.billing_anchor_day = contract.billing_anchor_day
    terms.auto_renew = contract.auto_renew
    terms.termination_for_convenience = contract.termination_for_convenience
    return terms


def apply_contract_values(contract: Contract, values: dict[str, Any], *, actor) -> Contract:
    """Write "contract.<field>" values (canonical) through update_contract."""
    contract.refresh_from_db()
    lines = _line_inputs(values["contract.lines"]) if "contract.lines" in values else None
    return update_contract(
        contract=contract, terms=_contract_terms(contract, values), lines=lines, actor=actor
    )
