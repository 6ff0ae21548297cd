"""Tax: rates by jurisdiction and date; per-line rounding or sum-then-round (section 1.3)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from billing.models import TaxRate
from core.money import round_money, split
from ordermgmt.models import Account


def tax_rate_for(account: Account, on: date, cache: dict | None = None) -> TaxRate | None:
    """The buyer's rate on a date: a regional rate wins over the country's."""
    key = (account.billing_country, account.billing_region, on)
    if cache is not None and key in cache:
        return cache[key]
    rates = TaxRate.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on),
        country=account.billing_country,
        effective_from__lte=on,
    ).filter(Q(region="") | Q(region=account.billing_region))
    rate = sorted(rates, key=lambda r: (r.region == "", -r.effective_from.toordinal()))
    result = rate[0] if rate else None
    if cache is not None:
        cache[key] = result
    return result


def tax_rounding_mode() -> str:
    mode = getattr(settings, "LEDGERLINE_TAX_ROUNDING", "line")
    if mode not in {"line", "total"}:
        raise ValueError("LEDGERLINE_TAX_ROUNDING must be 'line' or 'total'")
    return mode


def line_taxes(
    amounts: list[Decimal], percents: list[Decimal], currency: str, mode: str
) -> list[Decimal]:
    """Tax of each line. 'line': round each line's tax. 'total': per rate, round the tax
    of the summed lines once, then split it over the lines so they still add up."""
    if mode == "line":
        return [round_money(a * p / 100, currency) for a, p in zip(amounts, percents, strict=True)]
    taxes = [Decimal(0)] * len(amounts)
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for index, percent in enumerate(percents):
        by_rate[percent].append(index)
    for percent, indexes in by_rate.items():
        base = sum((amounts[i] for i in indexes), Decimal(0))
        rate_tax = round_money(base * percent / 100, currency)
        weights = [abs(amounts[i]) for i in indexes]
        parts = split(rate_tax, weights, currency) if sum(weights) else [Decimal(0)] * len(indexes)
        for i, part in zip(indexes, parts, strict=True):
            taxes[i] = part
    return taxes
