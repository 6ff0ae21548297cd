"""Reads for collections: dunning facts and plans, the worklist, one account's collections
page, and the API querysets. No writes.

"Overdue" follows the aging convention: issued, not settled, due date before "as of" (an
invoice due today is not overdue). Amounts are never added across currencies; the
worklist ranks accounts by their overdue balance converted to the reporting currency at
the latest FX rate on or before "as of" (a currency without a rate is shown, not ranked).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from billing.models import FxRate, Invoice, InvoiceStatus, PaymentApplication, SettlementStatus
from billing.money import format_money
from collections_app.dunning.schedule import (
    AccountFacts,
    DunningPlan,
    InvoiceFacts,
    PlanState,
    PolicySnapshot,
    StepSnapshot,
    carrying_order,
    plan_for_invoice,
)
from collections_app.models import (
    AccountDunning,
    ActivityKind,
    ActivityStatus,
    CollectionActivity,
    DunningAction,
    DunningPolicy,
    DunningReminder,
)
from ordermgmt.models import Account, Contact

_MONEY = DecimalField(max_digits=19, decimal_places=4)
OPEN_BALANCE = ExpressionWrapper(
    F("total_amount") - F("credited_amount") - F("paid_amount"), output_field=_MONEY
)


def reporting_currency() -> str:
    return getattr(settings, "LEDGERLINE_REPORTING_CURRENCY", "USD")


# --- Invoices and contacts ------------------------------------------------------------------


def open_invoices() -> QuerySet[Invoice]:
    """Issued invoices with a balance left: what dunning and the worklist look at."""
    return (
        Invoice.objects.filter(status=InvoiceStatus.ISSUED)
        .exclude(settlement_status=SettlementStatus.PAID)
        .annotate(open_balance=OPEN_BALANCE)
        .filter(open_balance__gt=0)
    )


def billing_contact_emails(account_id: int) -> list[str]:
    """The account's billing contacts' addresses, each once (case-insensitively)."""
    seen: set[str] = set()
    recipients = []
    contacts = Contact.objects.filter(account_id=account_id, is_billing_contact=True)
    for email in contacts.exclude(email="").order_by("name", "pk").values_list("email", flat=True):
        email = email.strip()
        if email and email.lower() not in seen:
            seen.add(email.lower())
            recipients.append(email)
    return recipients


# --- Policies and dunning facts -------------------------------------------------------------


def policy_snapshot(policy: DunningPolicy) -> PolicySnapshot:
    return PolicySnapshot(
        id=policy.pk,
        name=policy.name,
        min_contact_days=policy.min_contact_days,
        steps=tuple(
            StepSnapshot(id=s.pk, offset_days=s.offset_days, action=s.action, label=s.label)
            for s in policy.steps.all()
        ),
    )


def active_policies() -> tuple[dict[int, PolicySnapshot], PolicySnapshot | None]:
    """Active policies by id, and the default one (None when there is none)."""
    policies = DunningPolicy.objects.filter(active=True).prefetch_related("steps")
    snapshots = {}
    default = None
    for policy in policies:
        snapshots[policy.pk] = policy_snapshot(policy)
        if policy.is_default:
            default = snapshots[policy.pk]
    return snapshots, default


def account_facts(account_ids: Iterable[int]) -> dict[int, AccountFacts]:
    account_ids = list(set(account_ids))
    policies, default = active_policies()
    overrides = {row.account_id: row for row in AccountDunning.objects.filter(pk__in=account_ids)}
    last_contact = dict(
        DunningReminder.objects.filter(account_id__in=account_ids, action=DunningAction.EMAIL)
        .values("account_id")
        .annotate(last=Max("run_date"))
        .values_list("account_id", "last")
    )
    facts = {}
    for account_id in account_ids:
        row = overrides.get(account_id)
        if row is not None and row.policy_id is not None:
            policy = policies.get(row.policy_id)  # None when that policy is inactive
        else:
            policy = default
        facts[account_id] = AccountFacts(
            policy=policy,
            excluded=bool(row and row.excluded),
            paused=bool(row and row.paused),
            last_contact_on=last_contact.get(account_id),
        )
    return facts


class PromiseOutcome(StrEnum):
    PENDING = "pending"  # promised date not passed, not yet paid: dunning waits
    KEPT = "kept"
    BROKEN = "broken"  # promised date passed without the promised amount paid
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class PromiseStatus:
    outcome: PromiseOutcome
    paid_toward: Decimal

    @property
    def is_broken(self) -> bool:
        return self.outcome == PromiseOutcome.BROKEN


def promise_statuses(
    promises: Iterable[CollectionActivity], *, as_of: date
) -> dict[int, PromiseStatus]:
    """A promise is kept when payments applied to its invoice from the day it was recorded
    up to the promised date add up to the promised amount; broken when the promised date
    has passed (before "as of") and they do not. Credit notes are not payments."""
    promises = [p for p in promises if p.kind == ActivityKind.PROMISE]
    applications = defaultdict(list)
    for invoice_id, applied_date, amount in PaymentApplication.objects.filter(
        invoice_id__in={p.invoice_id for p in promises}, applied_date__lte=as_of
    ).values_list("invoice_id", "applied_date", "amount"):
        applications[invoice_id].append((applied_date, amount))
    statuses = {}
    for promise in promises:
        start = timezone.localdate(promise.created_at)
        end = min(promise.promised_date, as_of)
        paid = sum(
            (amount for day, amount in applications[promise.invoice_id] if start <= day <= end),
            Decimal(0),
        )
        if promise.status == ActivityStatus.CANCELLED:
            outcome = PromiseOutcome.CANCELLED
        elif paid >= promise.amount:
            outcome = PromiseOutcome.KEPT
        elif as_of > promise.promised_date:
            outcome = PromiseOutcome.BROKEN
        else:
            outcome = PromiseOutcome.PENDING
        statuses[promise.pk] = PromiseStatus(outcome, paid)
    return statuses


def invoice_facts(invoices: Iterable[Invoice], *, as_of: date) -> dict[int, InvoiceFacts]:
    invoices = list(invoices)
    ids = [i.pk for i in invoices]
    done = defaultdict(set)
    for invoice_id, offset in DunningReminder.objects.filter(invoice_id__in=ids).values_list(
        "invoice_id", "offset_days"
    ):
        done[invoice_id].add(offset)
    disputed = set(
        CollectionActivity.objects.filter(
            invoice_id__in=ids, kind=ActivityKind.DISPUTE, status=ActivityStatus.OPEN
        ).values_list("invoice_id", flat=True)
    )
    promises = list(
        CollectionActivity.objects.filter(
            invoice_id__in=ids,
            kind=ActivityKind.PROMISE,
            status=ActivityStatus.OPEN,
            promised_date__gte=as_of,
        )
    )
    statuses = promise_statuses(promises, as_of=as_of)
    promised = {p.invoice_id for p in promises if statuses[p.pk].outcome == PromiseOutcome.PENDING}
    return {
        invoice.pk: InvoiceFacts(
            invoice_id=invoice.pk,
            due_date=invoice.due_date,
            open_amount=invoice.open_amount,
            is_issued=invoice.status == InvoiceStatus.ISSUED,
            is_paid=invoice.settlement_status == SettlementStatus.PAID,
            done_offsets=frozenset(done[invoice.pk]),
            dispute_open=invoice.pk in disputed,
            promise_pending=invoice.pk in promised,
        )
        for invoice in invoices
    }


@dataclass(frozen=True)
class InvoicePlan:
    invoice: Invoice
    facts: InvoiceFacts
    plan: DunningPlan


def dunning_plans(
    *,
    as_of: date,
    account_ids: Iterable[int] | None = None,
    invoice_ids: Iterable[int] | None = None,
    reachable_only: bool = False,
) -> list[InvoicePlan]:
    """Every open invoice's plan, grouped by account, each account's invoices in carrying
    order. `reachable_only` leaves out invoices no policy step can have reached yet."""
    invoices = open_invoices().select_related("account", "legal_entity")
    if account_ids is not None:
        invoices = invoices.filter(account_id__in=list(account_ids))
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=list(invoice_ids))
    if reachable_only:
        earliest = DunningPolicy.objects.filter(active=True).aggregate(m=Min("steps__offset_days"))
        if earliest["m"] is None:
            return []
        invoices = invoices.filter(due_date__lte=as_of - timedelta(days=earliest["m"]))
    invoices = list(invoices)
    facts = invoice_facts(invoices, as_of=as_of)
    accounts = account_facts(i.account_id for i in invoices)
    plans = [
        InvoicePlan(
            i, facts[i.pk], plan_for_invoice(facts[i.pk], accounts[i.account_id], as_of=as_of)
        )
        for i in invoices
    ]
    plans.sort(key=lambda p: (p.invoice.account_id, carrying_order(p.facts)))
    return plans


# --- Worklist -------------------------------------------------------------------------------


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


def fx_rates(currencies: Iterable[str], *, as_of: date) -> dict[str, Decimal]:
    target = reporting_currency()
    rates = {target: Decimal(1)}
    for currency in set(currencies) - {target}:
        rate = (
            FxRate.objects.filter(
                currency=currency, reporting_currency=target, rate_date__lte=as_of
            )
            .order_by("-rate_date")
            .values_list("rate", flat=True)
            .first()
        )
        if rate is not None:
            rates[currency] = rate
    return rates


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
    """The last reminder e-mail, or the last note, promise, dispute or call made."""
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
    )
    kinds = dict(ActivityKind.choices)
    contacts = {}
    for row in rows.values("pk", "reminder_at", "activity_at", "activity_kind", "call_at"):
        candidates = [
            (row["reminder_at"], "Reminder e-mail"),
            (row["activity_at"], kinds.get(row["activity_kind"], "")),
            (row["call_at"], "Call made"),
        ]
        candidates = [c for c in candidates if c[0] is not None]
        if candidates:
            at, what = max(candidates, key=lambda c: c[0])
            contacts[row["pk"]] = LastContact(at, what)
    return contacts


def worklist(*, as_of: date, show: str = "") -> list[WorklistRow]:
    """Overdue accounts, the largest overdue balance (in the reporting currency) first,
    then the oldest days past due."""
    overdue = (
        open_invoices()
        .filter(due_date__lt=as_of)
        .values("account_id", "currency")
        .annotate(total=Sum("open_balance"), oldest=Min("due_date"), count=Count("id"))
        .order_by("account_id", "currency")
    )
    by_account: dict[int, list[dict]] = defaultdict(list)
    for row in overdue:
        by_account[row["account_id"]].append(row)
    if not by_account:
        return []
    account_ids = list(by_account)
    accounts = Account.objects.in_bulk(account_ids)
    rates = fx_rates({r["currency"] for rows in by_account.values() for r in rows}, as_of=as_of)

    rows = {}
    for account_id, currency_rows in by_account.items():
        rows[account_id] = WorklistRow(
            account=accounts[account_id],
            overdue=[Amount(r["currency"], r["total"]) for r in currency_rows],
            overdue_invoices=sum(r["count"] for r in currency_rows),
            oldest_days_past_due=(as_of - min(r["oldest"] for r in currency_rows)).days,
            ranking_amount=sum(
                (
                    r["total"] * rates[r["currency"]]
                    for r in currency_rows
                    if r["currency"] in rates
                ),
                Decimal(0),
            ),
            unranked_currencies=[
                r["currency"] for r in currency_rows if r["currency"] not in rates
            ],
        )

    plans_by_account = defaultdict(list)
    for plan in dunning_plans(as_of=as_of, account_ids=account_ids):
        plans_by_account[plan.invoice.account_id].append(plan)
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
    open_invoice_ids = {p.invoice.pk for plans in plans_by_account.values() for p in plans}
    statuses = promise_statuses(activities, as_of=as_of)
    for activity in activities:
        row = rows[activity.account_id]
        if activity.kind == ActivityKind.PROMISE:
            status = statuses[activity.pk]
            if activity.invoice_id in open_invoice_ids and status.outcome in {
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

    result = sorted(
        rows.values(),
        key=lambda r: (-r.ranking_amount, -r.oldest_days_past_due, r.account.legal_name),
    )
    keep = {
        "calls": lambda r: bool(r.calls),
        "broken": lambda r: r.broken_promises > 0,
        "disputes": lambda r: bool(r.disputes),
        "paused": lambda r: r.dunning_paused,
    }.get(show)
    return [r for r in result if keep(r)] if keep else result


# --- One account ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountInvoiceRow:
    invoice: Invoice
    open: Amount
    days_past_due: int
    plan: DunningPlan
    reminders_sent: int

    @property
    def is_overdue(self) -> bool:
        return self.days_past_due > 0


@dataclass(frozen=True)
class ActivityRow:
    activity: CollectionActivity
    promise: PromiseStatus | None = None


@dataclass(frozen=True)
class Balance:
    currency: str
    open: Amount
    overdue: Amount


@dataclass
class AccountCollections:
    account: Account
    as_of: date
    setting: AccountDunning | None
    policy: PolicySnapshot | None
    policy_is_override: bool
    balances: list[Balance]
    invoices: list[AccountInvoiceRow]
    reminders: list[DunningReminder]
    activities: list[ActivityRow]
    next_action: NextAction | None
    last_contact: LastContact | None
    billing_contacts: list[str]

    @property
    def open_disputes(self) -> list[CollectionActivity]:
        return [
            r.activity
            for r in self.activities
            if r.activity.kind == ActivityKind.DISPUTE and r.activity.status == ActivityStatus.OPEN
        ]


def account_collections(account: Account, *, as_of: date) -> AccountCollections:
    plans = dunning_plans(as_of=as_of, account_ids=[account.pk])
    sent = defaultdict(int)
    for invoice_id in DunningReminder.objects.filter(account=account).values_list(
        "invoice_id", flat=True
    ):
        sent[invoice_id] += 1
    invoices = sorted(
        (
            AccountInvoiceRow(
                invoice=p.invoice,
                open=Amount(p.invoice.currency, p.invoice.open_amount),
                days_past_due=(as_of - p.invoice.due_date).days,
                plan=p.plan,
                reminders_sent=sent[p.invoice.pk],
            )
            for p in plans
        ),
        key=lambda r: (r.invoice.due_date, r.invoice.pk),
    )
    balances: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in invoices:
        balances[row.invoice.currency][0] += row.open.amount
        if row.is_overdue:
            balances[row.invoice.currency][1] += row.open.amount
    activities = list(
        CollectionActivity.objects.filter(account=account)
        .select_related("invoice", "owner", "created_by", "closed_by", "reminder")
        .order_by("-created_at", "-id")
    )
    statuses = promise_statuses(activities, as_of=as_of)
    setting = AccountDunning.objects.filter(pk=account.pk).select_related("policy").first()
    facts = account_facts([account.pk])[account.pk]
    return AccountCollections(
        account=account,
        as_of=as_of,
        setting=setting,
        policy=facts.policy,
        policy_is_override=bool(setting and setting.policy_id),
        balances=[
            Balance(currency, Amount(currency, values[0]), Amount(currency, values[1]))
            for currency, values in sorted(balances.items())
        ],
        invoices=invoices,
        reminders=list(
            DunningReminder.objects.filter(account=account)
            .select_related("invoice", "step")
            .order_by("-run_date", "-sent_at", "-id")
        ),
        activities=[ActivityRow(a, statuses.get(a.pk)) for a in activities],
        next_action=next_action(plans),
        last_contact=last_contacts([account.pk]).get(account.pk),
        billing_contacts=billing_contact_emails(account.pk),
    )


# --- API querysets ---------------------------------------------------------------------------


def activities_for_api() -> QuerySet[CollectionActivity]:
    return CollectionActivity.objects.select_related("invoice", "owner", "created_by").order_by(
        "-created_at", "-id"
    )


def reminders_for_api() -> QuerySet[DunningReminder]:
    return DunningReminder.objects.select_related("invoice", "step").order_by("-sent_at", "-id")
