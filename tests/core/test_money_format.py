"""The one way every API writes an amount (core.money.money_string, core MoneyField)."""

from decimal import Decimal

from core.money import money_string


def test_an_amount_is_written_with_its_currencys_own_decimals():
    assert money_string(Decimal("1234.5"), "USD") == "1234.50"
    assert money_string(Decimal("1234.5000"), "JPY") == "1235"
    assert money_string(Decimal("1.2345"), "KWD") == "1.235"


def test_a_missing_amount_stays_missing_and_large_ones_never_use_exponents():
    assert money_string(None, "USD") is None
    assert money_string(Decimal("1E+6"), "USD") == "1000000.00"
    assert money_string(Decimal("-0"), "EUR") == "-0.00"
