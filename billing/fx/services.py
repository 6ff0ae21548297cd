"""Load ECB reference rates into billing.FxRate as "1 CUR = rate REPORTING" per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from billing.error_codes import BillingError
from billing.fx.ecb import EuroRates
from billing.models import FxRate
from core.errors import DomainValidationError
from core.money import validate_currency

RATE_PLACES = Decimal("0.00000001")  # FxRate.rate has 8 decimal places


@dataclass(frozen=True)
class FxLoadResult:
    days: int
    rates: int
    first: date | None
    last: date | None
    missing: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "days": self.days,
            "rates": self.rates,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "missing": list(self.missing),
        }


def cross_rate(euro_rates: dict[str, Decimal], currency: str, reporting: str) -> Decimal | None:
    """1 `currency` in `reporting`, through the euro: (EUR->reporting) / (EUR->currency)."""
    per_euro = {**euro_rates, "EUR": Decimal(1)}
    if currency not in per_euro or reporting not in per_euro:
        return None
    return (per_euro[reporting] / per_euro[currency]).quantize(RATE_PLACES, ROUND_HALF_UP)


@transaction.atomic(durable=True)
def load_fx_rates(
    *,
    euro_rates: EuroRates,
    currencies: list[str],
    reporting_currencies: list[str],
    since: date | None = None,
) -> FxLoadResult:
    """Upsert one rate per currency, reporting currency and ECB day; loading the same
    file again changes nothing (a corrected ECB rate replaces the old one)."""
    for code in [*currencies, *reporting_currencies]:
        validate_currency(code)
    days = sorted(d for d in euro_rates if since is None or d >= since)
    if not days:
        raise DomainValidationError(
            field="since",
            code=BillingError.NO_RATES,
            message="The file has no rates on or after that date.",
        )
    rows, missing = [], set()
    for day in days:
        for reporting in reporting_currencies:
            for currency in currencies:
                if currency == reporting:
                    continue
                rate = cross_rate(euro_rates[day], currency, reporting)
                if rate is None:
                    missing.add(currency if currency != "EUR" else reporting)
                    continue
                rows.append(
                    FxRate(
                        currency=currency, reporting_currency=reporting, rate_date=day, rate=rate
                    )
                )
    FxRate.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["currency", "reporting_currency", "rate_date"],
        update_fields=["rate"],
    )
    return FxLoadResult(len(days), len(rows), days[0], days[-1], tuple(sorted(missing)))


def currencies_in_use() -> list[str]:
    """Every currency an invoice or a payment is in, plus the reporting currency."""
    from billing.models import Invoice, Payment

    codes = set(Invoice.objects.values_list("currency", flat=True).distinct())
    codes |= set(Payment.objects.values_list("currency", flat=True).distinct())
    return sorted(codes | set(reporting_currencies()))


def reporting_currencies() -> list[str]:
    from django.conf import settings

    return [getattr(settings, "LEDGERLINE_REPORTING_CURRENCY", "USD")]
