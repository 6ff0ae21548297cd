"""The collections worklist: accounts ranked by what to do next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    OuterRef,
    Q,
    Subquery,
)

from billing.models import Invoice
from billing.selectors.fx import fx_rates_as_of, reporting_currency
from collections_app.dunning.schedule import (
    DunningPlan,
    PlanState,
)
from collections_app.models import (
    AccountDunning,
    ActivityKind,
    ActivityStatus,
    CallOutcome,
    CollectionActivity,
    DunningAction,
    DunningReminder,
)
from core.money import format_money
from ordermgmt.models import Account

from .dunning import (
    InvoicePlan,
    PromiseOutcome,
    PromiseStatus,
    promise_statuses,
)
from .worklist_next_steps import next_step_plans
from .worklist_ranking import (
    WORKLIST_MAX_PAGE_SIZE,
    WORKLIST_PAGE_SIZE,
    count_overdue_accounts,
    ranked_accounts,
)


@dataclass(frozen=True)
class Amount:
    currency: str
    amount: Decimal

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


@dataclass(frozen=True)
class NextAction:
    state: PlanState
    label: str
    when: date | None = None
    invoice: Invoice | None = None


@dataclass(frozen=True)
class LastContact:
    at: datetime
    what: str


@dataclass(frozen=True)
class PromiseRow:
    activity: CollectionActivity
    status: PromiseStatus


@dataclass
class WorklistRow:
    account: Account
    overdue: list[Amount]
    overdue_invoices: int
    oldest_days_past_due: int
    ranking_amount: Decimal
    unranked_currencies: list[str]
    next_action: NextAction | None = None
    last_contact: LastContact | None = None
    promises: list[PromiseRow] = field(default_factory=list)
    disputes: list[CollectionActivity] = field(default_factory=list)
    calls: list[CollectionActivity] = field(default_factory=list)
    latest_note: CollectionActivity | None = None
    dunning_paused: bool = False
    dunning_excluded: bool = False

    @property
    def broken_promises(self) -> int:
        return sum(1 for p in self.promises if p.status.is_broken)


WORKLIST_FILTERS = {
    "": "All overdue",
    "calls": "Calls to make",
    "broken": "Broken promises",
    "disputes": "Open disputes",
    "paused": "Paused accounts",
}

# Which worklist rows each filter keeps (the page's ?show= and the home page's counts).
WORKLIST_SHOWS = {
    "calls": lambda r: bool(r.calls),
    "broken": lambda r: r.broken_promises > 0,
    "disputes": lambda r: bool(r.disputes),
    "paused": lambda r: r.dunning_paused,
}


def fx_rates(currencies: Iterable[str], *, as_of: date) -> dict[str, Decimal]:
    """{currency: rate into the reporting currency}; a currency without a rate is left out."""
    target = reporting_currency()
    rates, _missing = fx_rates_as_of(currencies, target, as_of)
    return {target: Decimal(1)} | {code: used.rate for code, used in rates.items()}


def next_action(plans: list[InvoicePlan]) -> NextAction | None:
    """What dunning does next for an account: a due step first, then the soonest one."""
    if not plans:
        return None
    moving = [
        p for p in plans if p.plan.state in {PlanState.DUE, PlanState.DEFERRED, PlanState.SCHEDULED}
    ]
    if moving:
        rank = {PlanState.DUE: 0, PlanState.DEFERRED: 1, PlanState.SCHEDULED: 1}
        best = min(moving, key=lambda p: (rank[p.plan.state], p.plan.action_date))
        return NextAction(best.plan.state, best.plan.label, best.plan.action_date, best.invoice)
    states = [p.plan.state for p in plans]
    for state in [
        PlanState.EXCLUDED,
        PlanState.NO_POLICY,
        PlanState.PAUSED_ACCOUNT,
        PlanState.PAUSED_DISPUTE,
        PlanState.PAUSED_PROMISE,
        PlanState.FINISHED,
    ]:
        if state in states:
            return NextAction(state, DunningPlan(state).label)
    return None


def last_contacts(account_ids: list[int]) -> dict[int, LastContact]:
    """The last reminder e-mail, or the last note, promise, dispute or call made (a call
    logged with its outcome: "Call: No answer")."""
    reminders = DunningReminder.objects.filter(account=OuterRef("pk"), action=DunningAction.EMAIL)
    activities = CollectionActivity.objects.filter(account=OuterRef("pk")).exclude(
        kind=ActivityKind.CALL
    )
    calls = CollectionActivity.objects.filter(
        account=OuterRef("pk"), kind=ActivityKind.CALL, status=ActivityStatus.DONE
    )
    rows = Account.objects.filter(pk__in=account_ids).annotate(
        reminder_at=Subquery(reminders.order_by("-sent_at").values("sent_at")[:1]),
        activity_at=Subquery(activities.order_by("-created_at").values("created_at")[:1]),
        activity_kind=Subquery(activities.order_by("-created_at").values("kind")[:1]),
        call_at=Subquery(calls.order_by("-closed_at").values("closed_at")[:1]),
        call_outcome=Subquery(calls.order_by("-closed_at").values("call_outcome")[:1]),
    )
    outcomes = dict(CallOutcome.choices)
    kinds = dict(ActivityKind.choices)
    contacts = {}
    for row in rows.values(
        "pk", "reminder_at", "activity_at", "activity_kind", "call_at", "call_outcome"
    ):
        call = f"Call: {outcomes[row['call_outcome']]}" if row["call_outcome"] else "Call made"
        candidates = [
            (row["reminder_at"], "Reminder e-mail"),
            (row["activity_at"], kinds.get(row["activity_kind"], "")),
            (row["call_at"], call),
        ]
        candidates = [c for c in candidates if c[0] is not None]
        if candidates:
            at, what = max(candidates, key=lambda c: c[0])
            contacts[row["pk"]] = LastContact(at, what)
    return contacts


@dataclass(frozen=True)
class WorklistPage:
    """One page of the worklist and how many accounts match the filter in all."""

    rows: list[WorklistRow]
    count: int
    page: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def worklist(
    *, as_of: date, show: str = "", offset: int = 0, limit: int | None = None
) -> list[WorklistRow]:
    """Overdue accounts, the largest overdue balance (in the reporting currency) first,
    then the oldest days past due; `offset`/`limit` take one slice of that order."""
    rows, _count = _worklist_slice(as_of=as_of, show=show, offset=offset, limit=limit)
    return rows


def worklist_page(
    *, as_of: date, show: str = "", page: int = 1, page_size: int = WORKLIST_PAGE_SIZE
) -> WorklistPage:
    """Page `page` (from 1) of the worklist, `page_size` accounts (at most
    WORKLIST_MAX_PAGE_SIZE)."""
    page_size = max(1, min(page_size, WORKLIST_MAX_PAGE_SIZE))
    page = max(1, page)
    rows, count = _worklist_slice(
        as_of=as_of, show=show, offset=(page - 1) * page_size, limit=page_size
    )
    if count is None:  # past the last page: count without building rows
        count = count_overdue_accounts(as_of=as_of, shows=[show])[show]
    return WorklistPage(rows, count, page, page_size)


def _worklist_slice(
    *, as_of: date, show: str, offset: int, limit: int | None
) -> tuple[list[WorklistRow], int | None]:
    ranked, count = ranked_accounts(as_of=as_of, show=show, offset=offset, limit=limit)
    if not ranked:
        return [], count
    account_ids = [r.account_id for r in ranked]
    accounts = Account.objects.in_bulk(account_ids)
    rows = {
        r.account_id: WorklistRow(
            account=accounts[r.account_id],
            overdue=[Amount(code, total) for code, total in r.overdue],
            overdue_invoices=r.overdue_invoices,
            oldest_days_past_due=(as_of - r.oldest_due_date).days,
            ranking_amount=r.ranking_amount,
            unranked_currencies=r.unranked_currencies,
        )
        for r in ranked
    }
    _add_collection_facts(rows, as_of=as_of)
    return [rows[account_id] for account_id in account_ids], count


def _add_collection_facts(rows: dict[int, WorklistRow], *, as_of: date) -> None:
    """Next dunning step, last contact, open promises, disputes and calls, latest note
    and dunning settings of the accounts on the page (only those)."""
    account_ids = list(rows)
    contacts = last_contacts(account_ids)
    settings_rows = {r.account_id: r for r in AccountDunning.objects.filter(pk__in=account_ids)}
    latest_notes = CollectionActivity.objects.filter(
        account=OuterRef("account_id"), kind=ActivityKind.NOTE
    ).order_by("-created_at", "-id")
    activities = list(
        CollectionActivity.objects.filter(account_id__in=account_ids)
        .filter(
            Q(kind__in=[ActivityKind.PROMISE, ActivityKind.DISPUTE, ActivityKind.CALL])
            & Q(status=ActivityStatus.OPEN)
            | Q(kind=ActivityKind.NOTE, pk=Subquery(latest_notes.values("pk")[:1]))
        )
        .select_related("invoice", "owner")
        .order_by("-created_at", "-id")
    )
    statuses = promise_statuses(activities, as_of=as_of)
    promises = [a for a in activities if a.kind == ActivityKind.PROMISE]
    # The invoices dunning holds (dispute_open, promise_pending of dunning.invoice_facts).
    disputed = {a.invoice_id for a in activities if a.kind == ActivityKind.DISPUTE}
    promised = {p.invoice_id for p in promises if statuses[p.pk].outcome == PromiseOutcome.PENDING}
    plans_by_account, open_promised = next_step_plans(
        account_ids,
        as_of=as_of,
        disputed=disputed,
        promised=promised,
        watched={p.invoice_id for p in promises},
    )
    for activity in activities:
        row = rows[activity.account_id]
        if activity.kind == ActivityKind.PROMISE:
            status = statuses[activity.pk]
            if activity.invoice_id in open_promised and status.outcome in {
                PromiseOutcome.PENDING,
                PromiseOutcome.BROKEN,
            }:
                row.promises.append(PromiseRow(activity, status))
        elif activity.kind == ActivityKind.DISPUTE:
            row.disputes.append(activity)
        elif activity.kind == ActivityKind.CALL:
            row.calls.append(activity)
        elif row.latest_note is None:
            row.latest_note = activity
    for account_id, row in rows.items():
        row.next_action = next_action(plans_by_account[account_id])
        row.last_contact = contacts.get(account_id)
        setting = settings_rows.get(account_id)
        row.dunning_paused = bool(setting and setting.paused)
        row.dunning_excluded = bool(setting and setting.excluded)
