"""ASC 606 view of prepaid commitments and credits, from the ledger (a selector: no writes).

- A prepaid commitment or prepaid credit is a contract liability when paid; usage drawn
  from it is revenue as consumed (606-10-55-18: the drawdown's effective date).
- A promotional credit is a price reduction, not a liability: its drawdowns reduce the
  usage revenue of the period they cover.
- Breakage (606-10-55-46..49) of a prepaid balance expected to go unused: the setting
  `LEDGERLINE_USAGE_BREAKAGE` chooses
  * `"expiry"` (default): recognised when the balance expires (the remote-likelihood
    reading, used when the contract data gives no reliable pattern), or
  * `"proportional"`: in proportion to the pattern of use: expected breakage = what the
    average daily use so far leaves unused at the end of the period; the share of it
    recognised = used / expected use; the rest at expiry.
Amounts are rounded once per commitment with the project's money helper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from billing.usage.models import CommitmentKind
from billing.usage.selectors import commitment_balances
from core.money import round_money

ZERO = Decimal(0)


def breakage_policy() -> str:
    policy = getattr(settings, "LEDGERLINE_USAGE_BREAKAGE", "expiry")
    if policy not in {"expiry", "proportional"}:
        raise ValueError("LEDGERLINE_USAGE_BREAKAGE must be 'expiry' or 'proportional'")
    return policy


@dataclass
class CommitmentRevenue:
    commitment_id: int
    currency: str
    usage_revenue: Decimal  # drawn by usage (negative for a promotional credit)
    breakage_revenue: Decimal
    contract_liability: Decimal  # prepaid and not yet recognised
    policy: str


def commitment_revenue(commitments, as_of: date) -> list[CommitmentRevenue]:
    policy = breakage_policy()
    rows = []
    for balance in commitment_balances(commitments, as_of):
        commitment = balance.commitment
        currency = commitment.currency
        if commitment.kind == CommitmentKind.PROMOTIONAL_CREDIT:
            rows.append(
                CommitmentRevenue(commitment.pk, currency, -balance.used, ZERO, ZERO, policy)
            )
            continue
        if commitment.kind == CommitmentKind.POSTPAID_COMMIT:
            # Usage is invoiced as it happens; a true-up is revenue when the period ends.
            rows.append(
                CommitmentRevenue(
                    commitment.pk, currency, balance.used, balance.expired, ZERO, policy
                )
            )
            continue
        breakage = balance.expired
        if policy == "proportional" and balance.remaining > 0 and balance.burn_per_day:
            term_days = (commitment.ends_on - commitment.starts_on).days + 1
            expected_use = min(balance.burn_per_day * term_days, balance.granted)
            expected_breakage = balance.granted - expected_use
            if expected_breakage > 0 and expected_use > 0:
                share = min(balance.used / expected_use, Decimal(1))
                breakage = round_money(expected_breakage * share, currency)
        rows.append(
            CommitmentRevenue(
                commitment.pk,
                currency,
                balance.used,
                breakage,
                balance.granted - balance.used - breakage - balance.rolled_over,
                policy,
            )
        )
    return rows
