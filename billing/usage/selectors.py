"""Balances of commitments and credits for people: granted, used, expired, remaining, the
burn rate and when, at that rate, the balance runs out. All of it is summed from the
ledger as of a date, so yesterday's figures stay what they were."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet

from billing.usage.models import (
    BalanceAlert,
    Commitment,
    CommitmentInstallment,
    EntryKind,
    LedgerEntry,
    PaymentPlan,
)

ZERO = Decimal(0)


@dataclass
class CommitmentBalance:
    commitment: Commitment
    as_of: date
    granted: Decimal  # grants and rollovers in
    used: Decimal  # drawn down by usage
    expired: Decimal  # expired or trued up
    rolled_over: Decimal  # moved to the next period's commitment
    remaining: Decimal
    burn_per_day: Decimal | None
    projected_exhaustion: date | None
    percent_used: Decimal

    @property
    def runs_out_before_end(self) -> bool:
        return self.projected_exhaustion is not None

    def as_dict(self) -> dict:
        c = self.commitment
        return {
            "commitment": c.pk,
            "contract": c.contract_id,
            "name": c.name,
            "kind": c.kind,
            "currency": c.currency,
            "starts_on": str(c.starts_on),
            "ends_on": str(c.ends_on),
            "as_of": str(self.as_of),
            "granted": str(self.granted),
            "used": str(self.used),
            "expired": str(self.expired),
            "rolled_over": str(self.rolled_over),
            "remaining": str(self.remaining),
            "percent_used": str(self.percent_used),
            "burn_per_day": None if self.burn_per_day is None else str(self.burn_per_day),
            "projected_exhaustion": (
                None if self.projected_exhaustion is None else str(self.projected_exhaustion)
            ),
        }


def commitments_for(*, account_id: int | None = None, contract_id: int | None = None):
    commitments = Commitment.objects.select_related("contract")
    if account_id is not None:
        commitments = commitments.filter(contract__account_id=account_id)
    if contract_id is not None:
        commitments = commitments.filter(contract_id=contract_id)
    return commitments.order_by("contract_id", "priority", "ends_on", "id")


def commitment_balances(commitments, as_of: date) -> list[CommitmentBalance]:
    commitments = list(commitments)
    if not commitments:
        return []
    totals: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    last_draw: dict[int, date] = {}
    for commitment_id, kind, amount, effective in LedgerEntry.objects.filter(
        commitment__in=commitments, effective_date__lte=as_of
    ).values_list("commitment_id", "kind", "amount", "effective_date"):
        totals[commitment_id][kind] += amount
        if kind == EntryKind.DRAWDOWN:
            last_draw[commitment_id] = max(effective, last_draw.get(commitment_id, effective))
    rows = []
    for c in commitments:
        t = totals[c.pk]
        granted = t[EntryKind.GRANT] + t[EntryKind.ROLLOVER_IN]
        used = -t[EntryKind.DRAWDOWN]
        expired = -(t[EntryKind.EXPIRY] + t[EntryKind.TRUE_UP])
        rolled_over = -t[EntryKind.ROLLOVER_OUT]
        remaining = granted - used - expired - rolled_over
        burn, exhaustion = None, None
        if used and c.pk in last_draw:
            # Average daily use from the start to the last usage drawn (usage is drawn per
            # billing period, so a partial month would understate it).
            days = (last_draw[c.pk] - c.starts_on).days + 1
            burn = (used / days).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            if remaining > 0 and burn > 0:
                exhaustion = last_draw[c.pk] + timedelta(days=int(remaining / burn))
                if exhaustion > c.ends_on:
                    exhaustion = None  # lasts its period at this rate
        percent = (used * 100 / granted).quantize(Decimal("0.01")) if granted else ZERO
        rows.append(
            CommitmentBalance(
                c, as_of, granted, used, expired, rolled_over, remaining, burn, exhaustion, percent
            )
        )
    return rows


def recent_alerts(limit: int = 10) -> QuerySet[BalanceAlert]:
    return BalanceAlert.objects.select_related("commitment", "account").order_by("-sent_at")[:limit]


def uninvoiced_installments(commitments) -> dict[int, list[tuple[CommitmentInstallment, int]]]:
    """Per commitment, its installments not invoiced yet, each with the plan's count."""
    ids = [c.pk for c in commitments if c.payment_plan == PaymentPlan.INSTALLMENTS]
    if not ids:
        return {}
    by_commitment = defaultdict(list)
    for installment in CommitmentInstallment.objects.filter(commitment_id__in=ids).select_related(
        "commitment"
    ):
        by_commitment[installment.commitment_id].append(installment)
    return {
        pk: [(x, len(rows)) for x in rows if x.invoice_line_id is None]
        for pk, rows in by_commitment.items()
    }
