"""The reporting currency and the FX rates that convert other currencies into it.

One rule for every report that adds amounts across currencies (aging, DSO, the
collections worklist): the latest rate dated on or before the "as of" date; a currency
without one is reported as missing, never converted at a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from billing.models import FxRate


def reporting_currency() -> str:
    return getattr(settings, "LEDGERLINE_REPORTING_CURRENCY", "USD")


@dataclass(frozen=True)
class RateUsed:
    currency: str
    reporting_currency: str
    rate: Decimal
    rate_date: date | None  # None: same currency, no conversion

    def __str__(self) -> str:
        if self.rate_date is None:
            return f"{self.currency} is the reporting currency"
        return (
            f"1 {self.currency} = {self.rate.normalize():f} {self.reporting_currency} "
            f"(rate of {self.rate_date.isoformat()})"
        )


def fx_rates_as_of(
    currencies: Iterable[str], reporting_currency: str, as_of: date
) -> tuple[dict[str, RateUsed], list[str]]:
    """The latest rate dated on or before as_of for each currency; and those without."""
    rates: dict[str, RateUsed] = {}
    missing: list[str] = []
    for code in sorted(set(currencies)):
        if code == reporting_currency:
            rates[code] = RateUsed(code, reporting_currency, Decimal(1), None)
            continue
        rate = (
            FxRate.objects.filter(
                currency=code, reporting_currency=reporting_currency, rate_date__lte=as_of
            )
            .order_by("-rate_date")
            .first()
        )
        if rate is None:
            missing.append(code)
        else:
            rates[code] = RateUsed(code, reporting_currency, rate.rate, rate.rate_date)
    return rates, missing
