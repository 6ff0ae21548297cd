"""Deal desk reviews: the rules route a submitted contract, deal desk decides.

- Submitting a draft evaluates the active rules. Nothing flagged: the contract is
  approved at once (an auto-approved review records that the rules ran). Flags: the
  contract waits in pending review with an open review holding the flags and an SLA.
- Approval needs a comment and as many distinct approvers as the strictest flag's rule
  asks for (two above the contract-value threshold). Whoever submitted or changed the
  contract cannot approve it, unless they are an Admin; nobody approves twice.
- Rejection needs a comment and sends the contract back to draft.
- Changing an approved or pending contract re-evaluates it: a new or different flag
  re-opens the review (approved -> pending review); a pending contract whose flags
  are all gone is approved.

Permissions are checked at the edge (`ordermgmt.approve_contract`); services take
`actor` for the audit trail and for the approver rules above.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.audit import actor_or_none, audit_next_save
from core.errors import DomainValidationError
from ordermgmt import roles
from ordermgmt.dealdesk.rules import EVALUATORS, Flag, evaluate
from ordermgmt.dealdesk.valuation import DealFacts, deal_facts
from ordermgmt.error_codes import OrderError
from ordermgmt.models import (
    Contract,
    ContractStatus,
    DealDeskDecision,
    DealDeskFlag,
    DealDeskReview,
    DealDeskRule,
    DecisionKind,
    ReviewStatus,
    ReviewTrigger,
)
from ordermgmt.models.dealdesk import default_sla_hours

from .common import locked_contract, move_contract, require_comment

RULE_ORDER = list(EVALUATORS)


def active_rules() -> list[DealDeskRule]:
    rules = DealDeskRule.objects.filter(active=True)
    return sorted(rules, key=lambda r: (RULE_ORDER.index(r.rule_type), r.pk))


def evaluate_contract(contract: Contract) -> tuple[DealFacts, list[Flag]]:
    facts = deal_facts(contract)
    return facts, evaluate(facts, active_rules())


def flag_signature(flag: DealDeskFlag | Flag) -> tuple:
    return (flag.rule_type, flag.line_number, flag.reason)


def _open_review(
    *,
    contract: Contract,
    facts: DealFacts,
    flags: list[Flag],
    actor,
    trigger: str,
    force_open: bool = False,
) -> DealDeskReview:
    """An open review when there are flags (or force_open), else an auto-approved one."""
    now = timezone.now()
    is_open = bool(flags) or force_open
    sla_hours = min((f.sla_hours for f in flags if f.sla_hours), default=default_sla_hours())
    review = DealDeskReview(
        contract=contract,
        status=ReviewStatus.OPEN if is_open else ReviewStatus.AUTO_APPROVED,
        trigger=trigger,
        submitted_by=actor_or_none(actor),
        opened_at=now,
        sla_due_at=now + timedelta(hours=sla_hours) if is_open else None,
        decided_at=None if is_open else now,
        required_approvals=max((f.required_approvals for f in flags), default=1),
        currency=contract.currency,
        tcv_amount=facts.tcv,
        acv_amount=facts.acv,
    )
    audit_next_save(
        review, actor=actor, reason="review.opened" if is_open else "review.auto_approved"
    )
    review.save()
    DealDeskFlag.objects.bulk_create(
        [
            DealDeskFlag(
                review=review,
                rule_id=f.rule_id,
                rule_type=f.rule_type,
                severity=f.severity,
                line_number=f.line_number,
                reason=f.reason,
                consequence=f.consequence,
                figures=f.figures,
                required_approvals=f.required_approvals,
            )
            for f in flags
        ]
    )
    return review


def _close(review: DealDeskReview, status: str, actor, reason: str) -> None:
    review.transition_to(status)
    review.decided_at = timezone.now()
    audit_next_save(review, actor=actor, reason=reason)
    review.save(update_fields=["status", "decided_at"])


def _summary(flags: list[Flag]) -> str:
    return "; ".join(f.reason for f in flags)


def route_submission(*, contract: Contract, actor) -> Contract:
    """Inside submit_contract's transaction: approve a standard contract, or open a review."""
    facts, flags = evaluate_contract(contract)
    _open_review(
        contract=contract, facts=facts, flags=flags, actor=actor, trigger=ReviewTrigger.SUBMITTED
    )
    if not flags:
        reason = "contract.auto_approved: no non-standard terms"
        return move_contract(contract, ContractStatus.APPROVED, actor, reason)
    return move_contract(contract, ContractStatus.PENDING_REVIEW, actor, "contract.submitted")


def latest_review(contract: Contract) -> DealDeskReview | None:
    return contract.deal_desk_reviews.order_by("-opened_at", "-id").first()


def reevaluate_after_change(*, contract: Contract, actor) -> Contract:
    """Inside update_contract's transaction. Drafts are evaluated when submitted."""
    if contract.status not in {ContractStatus.PENDING_REVIEW, ContractStatus.APPROVED}:
        return contract
    facts, flags = evaluate_contract(contract)
    current = latest_review(contract)
    accepted = {flag_signature(f) for f in current.flags.all()} if current else set()
    found = {flag_signature(f) for f in flags}
    if contract.status == ContractStatus.APPROVED:
        if found <= accepted:
            return contract
        _open_review(
            contract=contract, facts=facts, flags=flags, actor=actor, trigger=ReviewTrigger.CHANGED
        )
        new_flags = [f for f in flags if f.signature not in accepted]
        reason = f"contract.review_reopened: {_summary(new_flags)}"
        return move_contract(contract, ContractStatus.PENDING_REVIEW, actor, reason)
    if found == accepted:
        return contract  # pending, and still exactly what deal desk is looking at
    if current is not None and current.is_open:
        _close(current, ReviewStatus.SUPERSEDED, actor, "review.superseded: contract changed")
    _open_review(
        contract=contract, facts=facts, flags=flags, actor=actor, trigger=ReviewTrigger.CHANGED
    )
    if not flags:
        return move_contract(
            contract,
            ContractStatus.APPROVED,
            actor,
            "contract.auto_approved: no non-standard terms after the change",
        )
    return contract


def withdraw_open_review(*, contract: Contract, actor) -> None:
    """Inside cancel_contract's transaction: a cancelled contract needs no decision."""
    review = contract.deal_desk_reviews.filter(status=ReviewStatus.OPEN).first()
    if review is not None:
        _close(review, ReviewStatus.WITHDRAWN, actor, "review.withdrawn: contract cancelled")


def _review_awaiting_decision(
    contract: Contract, verb: str, seen: DealDeskReview | None
) -> DealDeskReview:
    if contract.status != ContractStatus.PENDING_REVIEW:
        raise DomainValidationError(
            field="status",
            code=OrderError.ILLEGAL_TRANSITION,
            message=(
                f"Only a contract pending review can be {verb}, not a "
                f"{contract.get_status_display().lower()} one."
            ),
        )
    review = contract.deal_desk_reviews.select_for_update().filter(status=ReviewStatus.OPEN).first()
    if review is None:
        # Pending since before the deal desk rules existed: review it as it stands now.
        facts, flags = evaluate_contract(contract)
        review = _open_review(
            contract=contract,
            facts=facts,
            flags=flags,
            actor=None,
            trigger=ReviewTrigger.BACKFILL,
            force_open=True,
        )
    if seen is not None and seen.pk != review.pk:
        raise DomainValidationError(
            field="review",
            code=OrderError.REVIEW_CLOSED,
            message="This review was closed because the contract changed; "
            "decide on its current review.",
        )
    return review


def approval_refusal(
    *, review: DealDeskReview, actor: AbstractBaseUser | None
) -> DomainValidationError | None:
    """Why this actor may not approve this review now, or None. Pages use it to hide forms."""
    if not review.is_open:
        return DomainValidationError(
            field="status",
            code=OrderError.REVIEW_CLOSED,
            message=f"This review is {review.get_status_display().lower()}; nothing to approve.",
        )
    user = actor_or_none(actor)
    if (
        user is not None
        and review.submitted_by_id == user.pk
        and not roles.has_role(user, roles.ADMIN)
    ):
        return DomainValidationError(
            field="actor",
            code=OrderError.OWN_SUBMISSION,
            message="You submitted this contract; another deal desk member must approve it.",
        )
    approvals = review.decisions.filter(kind=DecisionKind.APPROVE)
    mine = approvals.filter(actor=user) if user else approvals.filter(actor__isnull=True)
    if mine.exists():
        return DomainValidationError(
            field="actor",
            code=OrderError.ALREADY_APPROVED,
            message="You have already approved this contract; a different approver must "
            "give the next approval.",
        )
    return None


@transaction.atomic(durable=True)
def approve_contract(
    *,
    contract: Contract,
    actor: AbstractBaseUser | None,
    comment: str,
    review: DealDeskReview | None = None,
) -> Contract:
    """Records one approval; the contract is approved once the review has enough of them.

    `review` is the review the approver read (pages and API pass it): if the contract
    changed since and that review was superseded, the approval is refused."""
    comment = require_comment(comment)
    contract = locked_contract(contract)
    review = _review_awaiting_decision(contract, "approved", review)
    refusal = approval_refusal(review=review, actor=actor)
    if refusal is not None:
        raise refusal
    DealDeskDecision.objects.create(
        review=review, kind=DecisionKind.APPROVE, actor=actor_or_none(actor), comment=comment
    )
    approvals = review.decisions.filter(kind=DecisionKind.APPROVE).count()
    if approvals < review.required_approvals:
        return contract
    _close(review, ReviewStatus.APPROVED, actor, f"review.approved: {comment}")
    return move_contract(contract, ContractStatus.APPROVED, actor, f"contract.approved: {comment}")


@transaction.atomic(durable=True)
def reject_contract(
    *,
    contract: Contract,
    actor: AbstractBaseUser | None,
    comment: str,
    review: DealDeskReview | None = None,
) -> Contract:
    """Back to draft with the reasons: the review keeps its flags and the comment."""
    comment = require_comment(comment)
    contract = locked_contract(contract)
    review = _review_awaiting_decision(contract, "rejected", review)
    DealDeskDecision.objects.create(
        review=review, kind=DecisionKind.REJECT, actor=actor_or_none(actor), comment=comment
    )
    _close(review, ReviewStatus.REJECTED, actor, f"review.rejected: {comment}")
    return move_contract(contract, ContractStatus.DRAFT, actor, f"contract.rejected: {comment}")


@transaction.atomic(durable=True)
def comment_on_review(
    *, review: DealDeskReview, actor: AbstractBaseUser | None, comment: str
) -> DealDeskReview:
    comment = require_comment(comment)
    review = DealDeskReview.objects.select_for_update().get(pk=review.pk)
    DealDeskDecision.objects.create(
        review=review, kind=DecisionKind.COMMENT, actor=actor_or_none(actor), comment=comment
    )
    return review
