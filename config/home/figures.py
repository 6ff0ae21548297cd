"""What each role's home page counts. Every figure comes from the owning app's selector
(aging and DSO from collections_app.reports, the worklist rules from
collections_app.selectors, the list filters from billing.filters) and carries the URL of
the list behind it, filtered so that the list shows exactly the items counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone

from billing.filters import PaymentFilter
from billing.models import BillingRunException, Invoice, InvoiceStatus
from billing.selectors.cash import payments_for_list_base
from collections_app.reports.aging import AgingParams, aging_totals
from collections_app.reports.dso import DsoParams, dso_with_trend, period_default
from collections_app.selectors import count_overdue_accounts
from core.money import format_money
from integrations.salesforce.models import IssueStatus, SyncIssue
from integrations.stripe.selectors import push_counts
from ordermgmt.dealdesk.selectors import open_review_counts
from ordermgmt.models import Contract, ContractStatus, DealDeskDecision, DecisionKind


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: str
    url: str
    note: str = ""


@dataclass
class Panel:
    title: str
    figures: list[Figure] = field(default_factory=list)
    groups: dict[str, list[Figure]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _url(name: str, args=None, **params) -> str:
    base = reverse(name, args=args)
    return f"{base}?{urlencode(params)}" if params else base


def overdue_bucket_url(bucket, today: date) -> str:
    """The invoice list of the bucket: overdue, due between the bucket's edges (days past
    due = today - due date)."""
    params = {
        "overdue": "on",
        "due_date_to": (today - timedelta(days=bucket.from_days)).isoformat(),
    }
    if bucket.to_days is not None:
        params["due_date_from"] = (today - timedelta(days=bucket.to_days)).isoformat()
    return _url("billing:invoice_list", **params)


def unapplied_cash(today: date | None = None) -> list[tuple[str, Decimal]]:
    """Per currency, the cash still on account of the payments the list shows with
    "Has unapplied cash" ticked (the same FilterSet)."""
    payments = PaymentFilter({"unapplied": "on"}, queryset=payments_for_list_base()).qs
    rows = (
        payments.order_by()
        .values("currency")
        .annotate(total=Sum(F("amount") - F("applied_amount") - F("refunded_amount")))
        .order_by("currency")
    )
    return [(row["currency"], row["total"]) for row in rows]


def finance_panel(today: date) -> Panel:
    panel = Panel("Money")
    # Totals only, summed per currency in the database: no figure per customer.
    aging = aging_totals(AgingParams(as_of=today), count_customers=False)
    reporting = aging.reporting
    if reporting is None:
        panel.notes.append(aging.missing_rate_message)
    else:
        currency = reporting.currency
        panel.figures.append(
            Figure("ar-total", f"AR open ({currency})",
                   format_money(reporting.open_total, currency), _url("ar_reports:aging"))
        )  # fmt: skip
        panel.figures.append(
            Figure("ar-overdue", "Overdue", format_money(reporting.overdue_total, currency),
                   _url("billing:invoice_list", overdue="on"))
        )  # fmt: skip
        panel.groups["Overdue by days past due"] = [
            Figure(
                f"overdue-{bucket.key}",
                bucket.label,
                format_money(reporting.buckets[bucket.index], currency),
                overdue_bucket_url(bucket, today),
            )  # fmt: skip
            for bucket in aging.buckets[1:]
        ]
        if reporting.rates_text:
            panel.notes.append(f"Converted at {reporting.rates_text}.")
    cash = unapplied_cash()
    panel.figures.append(
        Figure("unapplied-cash", "Unapplied cash",
               ", ".join(format_money(a, c) for c, a in cash) or "none",
               _url("billing:payment_list", unapplied="on"))
    )  # fmt: skip
    start, end = period_default(today)
    result, trend = dso_with_trend(DsoParams(start=start, end=end), months=6)
    dso = result.dso
    panel.figures.append(
        Figure("dso", "DSO (last 12 months)",
               f"{dso:.1f} days" if dso is not None else "n/a", _url("ar_reports:dso"),
               note=" → ".join(f"{p.dso:.0f}" if p.dso is not None else "–" for p in trend))
    )  # fmt: skip
    shown = [
        ("calls", "calls-due", "Accounts with calls to make"),
        ("broken", "broken-promises", "Accounts with broken promises"),
        ("disputes", "open-disputes", "Accounts with open disputes"),
    ]
    # Counted in SQL, one pass: the worklist's rows are never built for the home page.
    counts = count_overdue_accounts(as_of=today, shows=[show for show, _, _ in shown])
    for show, key, label in shown:
        panel.figures.append(
            Figure(key, label, str(counts[show]), _url("collections:worklist", show=show))
        )
    return panel


def specialist_panel(user) -> Panel:
    panel = Panel("Work to do")
    if user.has_perm("billing.view_invoice"):
        drafts = (
            Invoice.objects.filter(status=InvoiceStatus.DRAFT)
            .values("billing_run_id", "billing_run__run_date")
            .annotate(n=Count("id"))
            .order_by("-billing_run__run_date", "billing_run_id")
        )
        panel.groups["Drafts to issue, by billing run"] = [
            Figure(
                f"drafts-run-{row['billing_run_id']}",
                f"Run of {row['billing_run__run_date']:%Y-%m-%d}",
                str(row["n"]),
                _url("billing:invoice_list", status="draft", billing_run=row["billing_run_id"]),
            )  # fmt: skip
            for row in drafts
            if row["billing_run_id"] is not None
        ]
        total = sum(row["n"] for row in drafts)
        panel.figures.append(
            Figure("drafts", "Drafts to issue", str(total),
                   _url("billing:invoice_list", status="draft"))
        )  # fmt: skip
    if user.has_perm("billing.view_billingrun"):
        exceptions = BillingRunException.objects.filter(resolved=False).count()
        panel.figures.append(
            Figure("run-exceptions", "Run exceptions", str(exceptions),
                   reverse("billing:run_list") + "#exceptions")
        )  # fmt: skip
    if user.has_perm("ordermgmt.view_contract"):
        approved = Contract.objects.filter(status=ContractStatus.APPROVED).count()
        panel.figures.append(
            Figure("approved-not-active", "Approved, not activated", str(approved),
                   _url("admin:ordermgmt_contract_changelist", status__exact="approved"))
        )  # fmt: skip
    if user.has_perm("salesforce_sync.view_syncissue"):
        issues = SyncIssue.objects.filter(status=IssueStatus.OPEN).count()
        panel.figures.append(
            Figure("sync-issues", "Salesforce sync issues", str(issues),
                   _url("salesforce_sync:issue_list", status="open"))
        )  # fmt: skip
    if user.has_perm("stripe_billing.view_stripeinvoicepush"):
        panel.figures.append(
            Figure("stripe-failed", "Stripe pushes needing attention",
                   str(push_counts().attention), reverse("stripe_billing:integration_errors"))
        )  # fmt: skip
    return panel


def deal_desk_panel(now=None) -> Panel:
    now = now or timezone.now()
    panel = Panel("Deal desk queue")
    open_reviews, overdue = open_review_counts(now=now)
    panel.figures.append(Figure("reviews-open", "Open reviews", str(open_reviews),
                                reverse("dealdesk:queue")))  # fmt: skip
    panel.figures.append(
        Figure("reviews-within-sla", "Within SLA", str(open_reviews - overdue),
               _url("dealdesk:queue", sort="sla"))
    )  # fmt: skip
    panel.figures.append(Figure("reviews-past-sla", "Past SLA", str(overdue),
                                _url("dealdesk:queue", overdue="on")))  # fmt: skip
    week_start = timezone.localdate(now) - timedelta(days=timezone.localdate(now).weekday())
    decisions = DealDeskDecision.objects.filter(
        kind__in=[DecisionKind.APPROVE, DecisionKind.REJECT], created_at__date__gte=week_start
    ).count()
    panel.figures.append(
        Figure("decisions-week", "Decisions this week", str(decisions),
               reverse("dealdesk:metrics"))
    )  # fmt: skip
    return panel
