"""Money: ISO 4217 minor units, the one rounding helper, exact splits and schedules.

Minor units come from py-moneyed's ISO 4217 table (not CLDR: CLDR says IQD has 0
decimals where ISO says 3). Amounts are `Decimal` plus a currency code everywhere.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal

import moneyed
from babel.numbers import format_currency
from django.conf import settings

from core.error_codes import CoreError
from core.errors import DomainValidationError

# Codes in ISO 4217 that are not money one can invoice in.
_NOT_INVOICEABLE = {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB", "XBC", "XBD"}
ROUNDING_MODES = {
    "ROUND_HALF_UP": decimal.ROUND_HALF_UP,
    "ROUND_HALF_EVEN": decimal.ROUND_HALF_EVEN,
}


# Wide enough for a product of two stored amount columns (19 digits each) and its rounding:
# a value stored before the input bounds existed must still display, exactly, not raise.
WIDE = decimal.Context(prec=60)


def exact_product(*factors: Decimal) -> Decimal:
    """Multiplies without the default 28-digit context rounding the product."""
    result = Decimal(1)
    for factor in factors:
        result = WIDE.multiply(result, Decimal(factor))
    return result


def is_known_currency(code: str) -> bool:
    return isinstance(code, str) and code in moneyed.CURRENCIES and code not in _NOT_INVOICEABLE


def validate_currency(code: str, *, field: str = "currency") -> str:
    if not is_known_currency(code):
        raise DomainValidationError(
            field=field,
            code=CoreError.UNKNOWN_CURRENCY,
            message=f"{code!r} is not an ISO 4217 currency code.",
        )
    return code


def currency_choices() -> list[tuple[str, str]]:
    codes = sorted(c for c in moneyed.CURRENCIES if is_known_currency(c))
    return [(c, f"{c} — {moneyed.CURRENCIES[c].name}") for c in codes]


def minor_unit(currency: str) -> int:
    """Number of decimals of the currency's minor unit: USD 2, JPY 0, KWD 3, CLF 4."""
    validate_currency(currency)
    sub_unit = moneyed.CURRENCIES[currency].sub_unit
    return len(str(sub_unit)) - 1


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def rounding_mode() -> str:
    mode = getattr(settings, "LEDGERLINE_ROUNDING", "ROUND_HALF_UP")
    if mode not in ROUNDING_MODES:
        raise ValueError(f"LEDGERLINE_ROUNDING must be one of {sorted(ROUNDING_MODES)}")
    return ROUNDING_MODES[mode]


def round_money(amount: Decimal, currency: str, *, rounding: str | None = None) -> Decimal:
    """Round once, to the currency's minor unit (half-up unless the setting says otherwise)."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, never float")
    return Decimal(amount).quantize(
        quantum(currency), rounding=rounding or rounding_mode(), context=WIDE
    )


def money_string(amount: Decimal | None, currency: str) -> str | None:
    """An amount as the API writes it: a plain decimal string with the currency's own
    decimals ("1234.50", JPY "1235"), rounded as round_money does; None stays None."""
    if amount is None:
        return None
    return f"{round_money(Decimal(amount), currency):f}"


def is_rounded(amount: Decimal, currency: str) -> bool:
    return Decimal(amount) == Decimal(amount).quantize(quantum(currency))


def money_sum(amounts: Iterable[tuple[Decimal, str]], *, currency: str) -> Decimal:
    """Adds (amount, currency) pairs; mixing currencies raises instead of summing."""
    total = Decimal(0)
    for amount, amount_currency in amounts:
        if amount_currency != currency:
            raise DomainValidationError(
                field="currency",
                code=CoreError.CURRENCY_MISMATCH,
                message=f"Cannot add {amount_currency} to a {currency} total.",
            )
        total += amount
    return total


def split(amount: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split `amount` by `weights` so that the parts add back exactly.

    The project rule (DESIGN.md): every part but the last is rounded to the minor unit,
    the last takes the remainder. When many parts round the same way the remainder could
    cross zero; then the parts nearest the end give back one minor unit each, so a split
    of a positive amount never has a negative part.
    """
    if not weights:
        raise DomainValidationError(
            field="weights", code=CoreError.EMPTY, message="Nothing to split."
        )
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise DomainValidationError(
            field="weights", code=CoreError.NEGATIVE_WEIGHT, message="Weights cannot be negative."
        )
    total_weight = sum(weights)
    if total_weight == 0:
        raise DomainValidationError(
            field="weights", code=CoreError.ZERO_WEIGHTS, message="Weights add up to zero."
        )
    amount = round_money(amount, currency)
    parts = [round_money(amount * w / total_weight, currency) for w in weights[:-1]]
    parts.append(amount - sum(parts, Decimal(0)))

    unit = quantum(currency)
    sign = 1 if amount >= 0 else -1
    # The remainder went past zero: take single minor units back from the later parts.
    i = len(parts) - 2
    while parts[-1] * sign < 0 and i >= 0:
        if parts[i] * sign > 0:
            parts[i] -= unit * sign
            parts[-1] += unit * sign
        else:
            i -= 1
    return parts


def cumulative_schedule(
    total: Decimal, weights: Sequence[Decimal | int], currency: str
) -> list[Decimal]:
    """Cumulative rounding (research section 9.1): amount-to-date after part k is
    round(total * progress_k); each part is the difference. No part is skewed, and
    parts of a positive total are never negative."""
    if not weights:
        raise DomainValidationError(
            field="weights", code=CoreError.EMPTY, message="Nothing to split."
        )
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise DomainValidationError(
            field="weights", code=CoreError.NEGATIVE_WEIGHT, message="Weights cannot be negative."
        )
    total_weight = sum(weights)
    if total_weight == 0:
        raise DomainValidationError(
            field="weights", code=CoreError.ZERO_WEIGHTS, message="Weights add up to zero."
        )
    total = round_money(total, currency)
    parts: list[Decimal] = []
    to_date = Decimal(0)
    cumulative_weight = Decimal(0)
    for index, weight in enumerate(weights):
        cumulative_weight += weight
        if index == len(weights) - 1:
            target = total
        else:
            target = round_money(total * cumulative_weight / total_weight, currency)
        parts.append(target - to_date)
        to_date = target
    return parts


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Integer minor units, for payment processors only (Stripe wants cents)."""
    if not is_rounded(amount, currency):
        raise DomainValidationError(
            field="amount",
            code=CoreError.NOT_ROUNDED,
            message=f"{amount} has more decimals than {currency} allows.",
        )
    return int(Decimal(amount).scaleb(minor_unit(currency)))


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-minor_unit(currency)).quantize(quantum(currency))


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Display with the currency's own decimals: $1,234.50, ¥1,235, KWD1.250 (CLDR style)."""
    digits = minor_unit(currency)
    pattern = "¤#,##0" + ("." + "0" * digits if digits else "")
    with decimal.localcontext(WIDE):
        return format_currency(
            round_money(amount, currency),
            currency,
            format=pattern,
            locale=locale,
            currency_digits=False,
        )
