from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DomainValidationError
from core.money import (
    cumulative_schedule,
    format_money,
    from_minor_units,
    minor_unit,
    money_sum,
    round_money,
    split,
    to_minor_units,
    validate_currency,
)

CURRENCIES = ["USD", "EUR", "JPY", "KWD", "CLF", "IQD", "GBP", "BHD", "KRW"]


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("IQD", 3),
        ("CLF", 4),
    ],
)
def test_minor_units_follow_iso_4217(currency, digits):
    assert minor_unit(currency) == digits


def test_unknown_currency_is_refused_with_field_and_code():
    with pytest.raises(DomainValidationError) as err:
        validate_currency("ABC")
    assert (err.value.field, err.value.code) == ("currency", "unknown_currency")


def test_line_amount_rounds_once_to_the_currency_minor_unit():
    amount = Decimal("4.4556") * Decimal("10.625")  # 47.34075 [CUR-ROUND-001]
    assert round_money(amount, "USD") == Decimal("47.34")
    assert round_money(amount, "JPY") == Decimal("47")
    assert round_money(amount, "KWD") == Decimal("47.341")


def test_half_up_is_the_default_and_rounds_halves_away_from_zero():
    assert round_money(Decimal("0.115"), "USD") == Decimal("0.12")
    assert round_money(Decimal("-0.115"), "USD") == Decimal("-0.12")
    assert round_money(Decimal("0.125"), "USD") == Decimal("0.13")


def test_half_even_is_available_as_a_setting(settings):
    settings.LEDGERLINE_ROUNDING = "ROUND_HALF_EVEN"
    assert round_money(Decimal("0.125"), "USD") == Decimal("0.12")
    assert round_money(Decimal("0.135"), "USD") == Decimal("0.14")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        round_money(0.1, "USD")


def test_split_puts_the_remainder_on_the_last_part():
    # KPMG's discount split over SSPs 20/30/40 [RR-ALLOC-005]: 18 / 27 / 35.
    assert split(Decimal("80"), [20, 30, 40], "JPY") == [Decimal(18), Decimal(27), Decimal(35)]
    assert split(Decimal("10.00"), [1, 1, 1], "USD") == [
        Decimal("3.33"),
        Decimal("3.33"),
        Decimal("3.34"),
    ]


def test_split_never_lets_the_last_part_go_negative():
    # Five parts of 0.006 each round up to 0.01; the naive remainder would be -0.01.
    parts = split(Decimal("0.03"), [1, 1, 1, 1, 1], "USD")
    assert sum(parts) == Decimal("0.03")
    assert min(parts) >= 0


def test_split_refuses_negative_or_zero_weights():
    with pytest.raises(DomainValidationError) as err:
        split(Decimal("10"), [1, -1], "USD")
    assert err.value.code == "negative_weight"
    with pytest.raises(DomainValidationError) as err:
        split(Decimal("10"), [0, 0], "USD")
    assert err.value.code == "zero_weights"


def test_cumulative_schedule_keeps_amount_to_date_exact():
    # 16,071.43 over 12 months: each month is round(total*k/12) - round(total*(k-1)/12),
    # so no month carries all the drift [RR-ALLOC-SAAS-001].
    parts = cumulative_schedule(Decimal("16071.43"), [1] * 12, "USD")
    assert sum(parts) == Decimal("16071.43")
    assert parts[-1] == Decimal("1339.29")
    assert max(parts) - min(parts) <= Decimal("0.01")


def test_money_sum_refuses_mixed_currencies():
    with pytest.raises(DomainValidationError) as err:
        money_sum([(Decimal("1"), "USD"), (Decimal("1"), "EUR")], currency="USD")
    assert err.value.code == "currency_mismatch"


def test_minor_unit_conversion_for_processors():
    assert to_minor_units(Decimal("12.34"), "USD") == 1234
    assert to_minor_units(Decimal("1234"), "JPY") == 1234
    assert from_minor_units(1234, "USD") == Decimal("12.34")
    with pytest.raises(DomainValidationError):
        to_minor_units(Decimal("12.345"), "USD")


def test_format_money_uses_the_currency_decimals():
    assert format_money(Decimal("1234.5"), "USD") == "$1,234.50"
    assert format_money(Decimal("1235"), "JPY") == "¥1,235"
    assert format_money(Decimal("1.25"), "KWD").endswith("1.250")


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("1e12"), places=4)
weights = st.lists(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1e6"), places=3), min_size=1, max_size=40
).filter(lambda ws: sum(ws) > 0)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, ws=weights, currency=st.sampled_from(CURRENCIES))
def test_split_always_adds_back_exactly(amount, ws, currency):
    parts = split(amount, ws, currency)
    assert sum(parts) == round_money(amount, currency)
    assert len(parts) == len(ws)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, ws=weights, currency=st.sampled_from(CURRENCIES))
def test_split_of_a_positive_amount_is_never_negative(amount, ws, currency):
    assert all(part >= 0 for part in split(amount, ws, currency))


@settings(max_examples=300, deadline=None)
@given(amount=amounts, ws=weights, currency=st.sampled_from(CURRENCIES))
def test_split_parts_honour_the_minor_unit(amount, ws, currency):
    unit = Decimal(1).scaleb(-minor_unit(currency))
    assert all(part == part.quantize(unit) for part in split(amount, ws, currency))


@settings(max_examples=300, deadline=None)
@given(amount=amounts, ws=weights, currency=st.sampled_from(CURRENCIES))
def test_negative_amounts_split_symmetrically(amount, ws, currency):
    positive = split(amount, ws, currency)
    negative = split(-amount, ws, currency)
    assert sum(negative) == -round_money(amount, currency)
    assert all(part <= 0 for part in negative)
    assert len(positive) == len(negative)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, ws=weights, currency=st.sampled_from(CURRENCIES))
def test_cumulative_schedule_adds_back_and_is_never_negative(amount, ws, currency):
    parts = cumulative_schedule(amount, ws, currency)
    unit = Decimal(1).scaleb(-minor_unit(currency))
    assert sum(parts) == round_money(amount, currency)
    assert all(part >= 0 and part == part.quantize(unit) for part in parts)
