"""Which dunning step an invoice is at, as of a date. Pure functions over snapshots, so
the sender, the worklist and the API give the same answer.

The rules
---------
- Steps apply **per invoice**: step date = the invoice's due date + the step's offset
  (negative offsets fall before the due date) [DUN-001].
- The step sent next is the **furthest step reached** (date on or before "as of") that
  comes after the last step already done for the invoice. Steps that were passed while
  dunning was paused, deferred or not yet running are skipped, never sent late in a
  burst: an invoice imported 20 days overdue gets the +14 reminder, not -7, 0, +3, +7.
  Nothing goes backwards either: the last step done (by its offset) is the floor, also
  when the account changes policy.
- The **minimum contact delay** is per account: a reminder e-mail waits until
  `min_contact_days` after the last reminder e-mail to the account (for any invoice).
  A 3-day gap under a 5-day minimum sends on day 5 [DUN-003]. A call step is not a
  contact (nobody is e-mailed) and is not held back.
- **Stop** when the invoice is void, paid or credited in full: nothing is sent for a zero
  balance. A partial payment does not stop it.
- **Pause** while the account is paused by hand, while the invoice has an open dispute,
  or while a promise to pay on the invoice is pending (recorded, not cancelled, not yet
  kept, promised date not passed). A broken promise resumes dunning the day after the
  promised date; a kept one too, if a balance is left.
- **Excluded** accounts and inactive policies get nothing.
- When several invoices of one account are due, the oldest due date goes first, then the
  larger open balance (the Upflow "carrying invoice" order) [DUN-002].
- A **customer-level** policy (`per_customer`) walks its steps for the account's carrying
  invoice only: the first in that order that is not paused by a dispute or a promise.
  Its reminder lists every overdue invoice of the account; the others are COVERED and
  send nothing of their own. When the carrying invoice is paid, the next one carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class PlanState(StrEnum):
    DUE = "due"  # a step is to be done now
    DEFERRED = "deferred"  # a step is reached, the minimum contact delay holds it back
    SCHEDULED = "scheduled"  # the next step's date is still ahead
    FINISHED = "finished"  # every step done
    STOPPED = "stopped"  # paid, credited or void
    PAUSED_ACCOUNT = "paused_account"
    PAUSED_DISPUTE = "paused_dispute"
    PAUSED_PROMISE = "paused_promise"
    EXCLUDED = "excluded"
    NO_POLICY = "no_policy"
    COVERED = "covered"  # customer-level policy: in the carrying invoice's reminder


PAUSED = {PlanState.PAUSED_ACCOUNT, PlanState.PAUSED_DISPUTE, PlanState.PAUSED_PROMISE}

STATE_LABELS = {
    PlanState.DUE: "Due",
    PlanState.DEFERRED: "Waiting for the contact delay",
    PlanState.SCHEDULED: "Scheduled",
    PlanState.FINISHED: "All steps done",
    PlanState.STOPPED: "Stopped: settled",
    PlanState.PAUSED_ACCOUNT: "Paused for the account",
    PlanState.PAUSED_DISPUTE: "Paused: open dispute",
    PlanState.PAUSED_PROMISE: "Paused: promise to pay",
    PlanState.EXCLUDED: "Account excluded from dunning",
    PlanState.NO_POLICY: "No active dunning policy",
    PlanState.COVERED: "Listed in the customer's reminder",
}


@dataclass(frozen=True)
class StepSnapshot:
    id: int
    offset_days: int
    action: str  # "email" | "call"
    label: str


@dataclass(frozen=True)
class PolicySnapshot:
    id: int
    name: str
    min_contact_days: int
    steps: tuple[StepSnapshot, ...]  # ordered by offset
    per_customer: bool = False  # one reminder per customer, following the carrying invoice

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(sorted(self.steps, key=lambda s: s.offset_days)))


@dataclass(frozen=True)
class AccountFacts:
    policy: PolicySnapshot | None
    excluded: bool = False
    paused: bool = False
    last_contact_on: date | None = None  # run date of the last reminder e-mail


@dataclass(frozen=True)
class InvoiceFacts:
    invoice_id: int
    due_date: date
    open_amount: Decimal
    is_issued: bool = True
    is_paid: bool = False
    done_offsets: frozenset[int] = field(default_factory=frozenset)
    dispute_open: bool = False
    promise_pending: bool = False


@dataclass(frozen=True)
class DunningPlan:
    state: PlanState
    step: StepSnapshot | None = None
    step_date: date | None = None  # due date + offset
    action_date: date | None = None  # when it is (or was) to be done, delay included

    @property
    def label(self) -> str:
        text = STATE_LABELS[self.state]
        if self.step is None:
            return text
        when = f" on {short_date(self.action_date)}" if self.action_date else ""
        if self.state == PlanState.DUE:
            return f"{self.step.label}: due now"
        if self.state == PlanState.DEFERRED:
            return f"{self.step.label}{when} (contact delay)"
        return f"{self.step.label}{when}"

    @property
    def is_paused(self) -> bool:
        return self.state in PAUSED


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def plan_for_invoice(invoice: InvoiceFacts, account: AccountFacts, *, as_of: date) -> DunningPlan:
    if not invoice.is_issued or invoice.is_paid or invoice.open_amount <= 0:
        return DunningPlan(PlanState.STOPPED)
    if account.excluded:
        return DunningPlan(PlanState.EXCLUDED)
    policy = account.policy
    if policy is None or not policy.steps:
        return DunningPlan(PlanState.NO_POLICY)
    if account.paused:
        return DunningPlan(PlanState.PAUSED_ACCOUNT)
    if invoice.dispute_open:
        return DunningPlan(PlanState.PAUSED_DISPUTE)
    if invoice.promise_pending:
        return DunningPlan(PlanState.PAUSED_PROMISE)

    floor = max(invoice.done_offsets) if invoice.done_offsets else None
    remaining = [s for s in policy.steps if floor is None or s.offset_days > floor]
    if not remaining:
        return DunningPlan(PlanState.FINISHED)

    def step_date(step: StepSnapshot) -> date:
        return invoice.due_date + timedelta(days=step.offset_days)

    contact_allowed = (
        account.last_contact_on + timedelta(days=policy.min_contact_days)
        if account.last_contact_on is not None
        else None
    )
    reached = [s for s in remaining if step_date(s) <= as_of]
    if reached:
        step = reached[-1]
        if step.action == "email" and contact_allowed is not None and as_of < contact_allowed:
            return DunningPlan(PlanState.DEFERRED, step, step_date(step), contact_allowed)
        return DunningPlan(PlanState.DUE, step, step_date(step), as_of)
    step = remaining[0]
    when = step_date(step)
    if step.action == "email" and contact_allowed is not None:
        when = max(when, contact_allowed)
    return DunningPlan(PlanState.SCHEDULED, step, step_date(step), when)


def carrying_order(invoice: InvoiceFacts) -> tuple:
    """Oldest due date first, then the larger open balance, then the older invoice."""
    return (invoice.due_date, -invoice.open_amount, invoice.invoice_id)


MOVING = {PlanState.DUE, PlanState.DEFERRED, PlanState.SCHEDULED, PlanState.FINISHED}


def cover_for_customer(plans: list[DunningPlan]) -> list[DunningPlan]:
    """One account's plans in carrying order, under a customer-level policy: the first
    invoice whose steps move carries; the others are covered by its reminders."""
    carrying = next((i for i, p in enumerate(plans) if p.state in MOVING), None)
    return [
        p if i == carrying or p.state not in MOVING else DunningPlan(PlanState.COVERED)
        for i, p in enumerate(plans)
    ]
