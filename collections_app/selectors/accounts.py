"""One account's collections page, and the API querysets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import (
    QuerySet,
)

from billing.models import Invoice
from collections_app.dunning.schedule import (
    DunningPlan,
    PolicySnapshot,
)
from collections_app.models import (
    AccountDunning,
    ActivityKind,
    ActivityStatus,
    CollectionActivity,
    DunningReminder,
)
from ordermgmt.models import Account, Contact

from .dunning import (
    PromiseStatus,
    account_facts,
    billing_contact_emails,
    dunning_plans,
    promise_statuses,
)
from .worklist import Amount, LastContact, NextAction, last_contacts, next_action


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
    phone_contacts: list = field(default_factory=list)

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
        phone_contacts=list(
            Contact.objects.filter(account=account, is_billing_contact=True)
            .exclude(phone="")
            .order_by("name", "pk")
        ),
    )


def activities_for_api() -> QuerySet[CollectionActivity]:
    return CollectionActivity.objects.select_related("invoice", "owner", "created_by").order_by(
        "-created_at", "-id"
    )


def reminders_for_api() -> QuerySet[DunningReminder]:
    return DunningReminder.objects.select_related("invoice", "step").order_by("-sent_at", "-id")
