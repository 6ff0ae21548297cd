"""Stripe's exponent table differs from ISO 4217; amounts are converted exactly or refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import DomainValidationError
from integrations.stripe.currencies import from_stripe_amount, stripe_currency, to_stripe_amount


@pytest.mark.parametrize(
    ("amount", "currency", "wire"),
    [
        ("12.34", "USD", 1234),
        ("1200", "JPY", 1200),  # zero-decimal: no multiplication
        ("1500000", "KRW", 1500000),
        ("250000", "UGX", 250000),  # on Stripe's zero-decimal list
        ("10", "MGA", 10),  # ISO has two decimals, Stripe none
        ("1.230", "KWD", 1230),  # three decimals, last digit 0
        ("0.010", "BHD", 10),
        ("5", "ISK", 500),  # zero-decimal in ISO, two on Stripe's wire, whole kronur
        ("10.45", "HUF", 1045),  # two decimals for charges
        ("99.99", "TWD", 9999),
        ("1.230", "IQD", 123),  # ISO three decimals, not on Stripe's three-decimal list
    ],
)
def test_amounts_convert_to_stripes_minor_units_and_back(amount, currency, wire):
    assert to_stripe_amount(Decimal(amount), currency) == wire
    assert from_stripe_amount(wire, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1.235", "KWD"),  # Stripe's three-decimal amounts must end in 0
        ("10.50", "MGA"),  # Stripe has no minor unit for MGA
        ("1.235", "IQD"),  # more decimals than Stripe's two
        ("0.0001", "CLF"),
    ],
)
def test_an_amount_stripe_cannot_represent_exactly_is_refused(amount, currency):
    with pytest.raises(DomainValidationError) as err:
        to_stripe_amount(Decimal(amount), currency)
    assert (err.value.field, err.value.code) == ("amount", "not_representable_at_stripe")
    assert currency in err.value.message


def test_an_amount_with_more_decimals_than_its_currency_is_refused_as_unrounded():
    with pytest.raises(DomainValidationError) as err:
        to_stripe_amount(Decimal("12.345"), "USD")
    assert err.value.code == "not_rounded"


def test_a_stripe_amount_our_iso_currency_cannot_hold_is_refused():
    with pytest.raises(DomainValidationError) as err:
        from_stripe_amount(550, "ISK")  # ISK 5.50: Stripe's wire allows it, ISO does not
    assert err.value.code == "not_representable_in_iso"


def test_unknown_codes_and_floats_are_refused():
    with pytest.raises(DomainValidationError) as err:
        stripe_currency("XYZ")
    assert err.value.code == "unknown_currency"
    with pytest.raises(TypeError):
        to_stripe_amount(12.5, "USD")


def test_the_wire_code_is_lower_case():
    assert stripe_currency("jpy").wire_code == "jpy"
    assert stripe_currency("KWD").exponent == 3 and stripe_currency("KWD").step == 10
