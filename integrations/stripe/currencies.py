"""Stripe's own exponent table: how many decimals an amount has on Stripe's wire.

Accounting uses ISO 4217 (billing/money.py); Stripe does not always agree, so gateway
payloads go through this table instead (research/accounting-conventions.md, 1.1; Stripe's
"Supported currencies" page, sections "Zero-decimal", "Three-decimal" and "Special
cases"):

- zero-decimal at Stripe: BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF
  XPF. ISO gives MGA two decimals, so MGA 10.50 has no Stripe amount.
- three-decimal (BHD JOD KWD OMR TND): the last digit must be 0, so KWD 5.124 cannot be
  sent while KWD 5.120 is 5120.
- ISK is zero-decimal in ISO but stays two-decimal in Stripe's API, in whole kronur:
  ISK 5 is 500 and the amount must divide by 100.
- HUF and TWD are two-decimal for charges (Stripe pays them out in whole units only,
  which does not concern an invoice).
- everything else is two-decimal at Stripe; an ISO three- or four-decimal currency
  Stripe does not list (IQD, LYD, CLF ...) can only be sent when its amount has no
  more than two decimals.

An amount Stripe cannot represent exactly is refused, never rounded: the Stripe invoice
must total what ours does, to the minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.errors import DomainValidationError
from core.money import is_rounded, minor_unit, quantum
from integrations.error_codes import IntegrationError

ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# currency -> (decimals on the wire, the step every amount must be a multiple of)
SPECIAL_CASES = {"ISK": (2, 100)}


@dataclass(frozen=True)
class StripeCurrency:
    code: str  # ISO 4217, upper case
    exponent: int  # decimals of an amount in Stripe's API
    step: int = 1  # API amounts must be multiples of this

    @property
    def wire_code(self) -> str:
        return self.code.lower()


def stripe_currency(code: str) -> StripeCurrency:
    code = (code or "").upper()
    minor_unit(code)  # refuses a code that is not ISO 4217 money
    if code in SPECIAL_CASES:
        exponent, step = SPECIAL_CASES[code]
        return StripeCurrency(code, exponent, step)
    if code in ZERO_DECIMAL:
        return StripeCurrency(code, 0)
    if code in THREE_DECIMAL:
        return StripeCurrency(code, 3, 10)
    return StripeCurrency(code, 2)


def to_stripe_amount(amount: Decimal, currency: str, *, field: str = "amount") -> int:
    """Our amount (rounded to its ISO minor unit) as the integer Stripe expects."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, never float")
    spec = stripe_currency(currency)
    amount = Decimal(amount)
    if not is_rounded(amount, spec.code):
        raise DomainValidationError(
            field=field,
            code=IntegrationError.NOT_ROUNDED,
            message=f"{amount} has more decimals than {spec.code} allows.",
        )
    scaled = amount.scaleb(spec.exponent)
    if scaled != scaled.to_integral_value() or int(scaled) % spec.step:
        raise DomainValidationError(
            field=field,
            code=IntegrationError.NOT_REPRESENTABLE_AT_STRIPE,
            message=(
                f"{amount} {spec.code} cannot be sent to Stripe exactly: Stripe takes "
                f"{spec.code} amounts {_granularity(spec)}. Correct the invoice with a "
                "credit note, or collect it outside Stripe."
            ),
        )
    return int(scaled)


def from_stripe_amount(value: int, currency: str, *, field: str = "amount") -> Decimal:
    """A Stripe integer amount as our Decimal, exact to the currency's ISO minor unit."""
    spec = stripe_currency(currency)
    amount = Decimal(int(value)).scaleb(-spec.exponent)
    rounded = amount.quantize(quantum(spec.code))
    if rounded != amount:
        raise DomainValidationError(
            field=field,
            code=IntegrationError.NOT_REPRESENTABLE_IN_ISO,
            message=f"Stripe amount {value} {spec.wire_code} has more decimals than "
            f"{spec.code} allows in ISO 4217.",
        )
    return rounded


def _granularity(spec: StripeCurrency) -> str:
    smallest = Decimal(spec.step).scaleb(-spec.exponent)
    if smallest >= 1:
        return "in whole units only"
    return f"in steps of {smallest:f}"
