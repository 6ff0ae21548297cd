"""Dunning facts and plans: open invoices, contacts, policies, promises."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db.models import (
    Max,
    Min,
    QuerySet,
)
from django.utils import timezone

from billing.models import (
    OPEN_AMOUNT,
    Invoice,
    InvoiceStatus,
    PaymentApplication,
    SettlementStatus,
)
from collections_app.dunning.schedule import (
    AccountFacts,
    DunningPlan,
    InvoiceFacts,
    PolicySnapshot,
    StepSnapshot,
    carrying_order,
    cover_for_customer,
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
from ordermgmt.models import Contact


def open_invoices() -> QuerySet[Invoice]:
    """Issued invoices with a balance left: what dunning and the worklist look at."""
    return (
        Invoice.objects.filter(status=InvoiceStatus.ISSUED)
        .exclude(settlement_status=SettlementStatus.PAID)
        .annotate(open_balance=OPEN_AMOUNT)
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


def policy_snapshot(policy: DunningPolicy) -> PolicySnapshot:
    return PolicySnapshot(
        id=policy.pk,
        name=policy.name,
        min_contact_days=policy.min_contact_days,
        per_customer=policy.per_customer,
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


def invoice_facts(
    invoices: Iterable[Invoice], *, as_of: date, accounts: dict | None = None
) -> dict[int, InvoiceFacts]:
    """Each invoice's dunning facts. `accounts` is the invoices' account filter (lookups on
    `account_id`, as dunning_plans builds it): the reminders, disputes and promises are
    then read by account, which they carry as their invoice's (the services set it so),
    instead of by a list of every invoice id."""
    invoices = list(invoices)
    scope = {"invoice_id__in": [i.pk for i in invoices]} if accounts is None else accounts
    wanted = {i.pk for i in invoices}
    done = defaultdict(set)
    reminders = DunningReminder.objects.filter(**scope).values_list("invoice_id", "offset_days")
    # By account these include the settled invoices' reminders: streamed, not kept.
    for invoice_id, offset in reminders.iterator(chunk_size=10_000):
        if invoice_id in wanted:
            done[invoice_id].add(offset)
    disputed = set(
        CollectionActivity.objects.filter(
            **scope, kind=ActivityKind.DISPUTE, status=ActivityStatus.OPEN
        ).values_list("invoice_id", flat=True)
    )
    promises = list(
        CollectionActivity.objects.filter(
            **scope,
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


# What a plan reads from an invoice (invoice_facts, the open balance, grouping).
PLAN_FIELDS = (
    "id", "account_id", "due_date", "status", "settlement_status", "total_amount",
    "credited_amount", "paid_amount",
)  # fmt: skip


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
    invoice_fields: Sequence[str] | None = None,
    account_range: tuple[int | None, int | None] | None = None,
) -> list[InvoicePlan]:
    """Every open invoice's plan, grouped by account, each account's invoices in carrying
    order. `reachable_only` leaves out invoices no policy step can have reached yet.
    `invoice_fields` loads only those invoice fields (no account or seller), for readers
    that show a plan but do not send anything. `account_range` (after, up to: account ids,
    None for no bound) takes the accounts of one batch (dunning_plan_batches)."""
    invoices = open_invoices()
    if invoice_fields is None:
        invoices = invoices.select_related("account", "legal_entity")
    else:
        invoices = invoices.only(*PLAN_FIELDS, *invoice_fields)
    accounts: dict = {}
    if account_ids is not None:
        accounts["account_id__in"] = list(account_ids)
    if account_range is not None:
        after, up_to = account_range
        if after is not None:
            accounts["account_id__gt"] = after
        if up_to is not None:
            accounts["account_id__lte"] = up_to
    invoices = invoices.filter(**accounts)
    if invoice_ids is not None:
        invoice_ids = list(invoice_ids)
        invoices = invoices.filter(pk__in=invoice_ids)
    if reachable_only:
        reach = reachable_due_date(as_of)
        if reach is None:
            return []
        invoices = invoices.filter(due_date__lte=reach)
    invoices = list(invoices)
    # A few invoices by id (one reminder's recheck); otherwise the facts by account.
    facts = invoice_facts(
        invoices, as_of=as_of, accounts=None if invoice_ids is not None else accounts
    )
    account_rows = account_facts(i.account_id for i in invoices)
    plans = [
        InvoicePlan(
            i, facts[i.pk], plan_for_invoice(facts[i.pk], account_rows[i.account_id], as_of=as_of)
        )
        for i in invoices
    ]
    plans.sort(key=lambda p: (p.invoice.account_id, carrying_order(p.facts)))
    if invoice_ids is None:
        plans = _cover_for_customers(plans, account_rows)
    return plans


def reachable_due_date(as_of: date) -> date | None:
    """The latest due date that an active policy's earliest step has reached by as_of
    (None when no active policy has a step)."""
    earliest = DunningPolicy.objects.filter(active=True).aggregate(m=Min("steps__offset_days"))
    if earliest["m"] is None:
        return None
    return as_of - timedelta(days=earliest["m"])


# Invoices per batch of the dunning run (whole accounts: one may take a batch past it).
DUNNING_BATCH_INVOICES = 5_000


def dunning_plan_batches(
    *,
    as_of: date,
    batch_size: int | None = None,
    invoice_fields: Sequence[str] | None = None,
) -> Iterator[list[InvoicePlan]]:
    """dunning_plans(reachable_only=True) in batches of whole accounts, in the same order
    (account by account): keyset over account ids, each batch about `batch_size` open
    invoices, so the run holds one batch in memory, not the book. Each batch is read
    when the run reaches it, from committed rows. `invoice_fields` as dunning_plans."""
    batch_size = max(1, batch_size or DUNNING_BATCH_INVOICES)
    reach = reachable_due_date(as_of)
    if reach is None:
        return
    reachable = open_invoices().filter(due_date__lte=reach).order_by("account_id")
    after = None
    while True:
        rest = reachable if after is None else reachable.filter(account_id__gt=after)
        # The account of the batch_size-th invoice after the last batch closes this one.
        boundary = list(rest.values_list("account_id", flat=True)[batch_size - 1 : batch_size])
        up_to = boundary[0] if boundary else None
        plans = dunning_plans(
            as_of=as_of,
            reachable_only=True,
            account_range=(after, up_to),
            invoice_fields=invoice_fields,
        )
        if plans:
            yield plans
        if up_to is None:
            return
        after = up_to


def _cover_for_customers(plans: list[InvoicePlan], accounts) -> list[InvoicePlan]:
    by_account: dict[int, list[InvoicePlan]] = {}
    for item in plans:
        by_account.setdefault(item.invoice.account_id, []).append(item)
    result = []
    for account_id, items in by_account.items():
        policy = accounts[account_id].policy
        if policy is not None and policy.per_customer:
            covered = cover_for_customer([i.plan for i in items])
            items = [replace(i, plan=plan) for i, plan in zip(items, covered, strict=True)]
        result.extend(items)
    return result
