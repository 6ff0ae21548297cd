"""Field helpers shared by the commercial records."""

from django.core.exceptions import ValidationError
from django.db import models

from core.error_codes import CoreError
from core.errors import DomainValidationError
from core.money import is_known_currency
from core.terms import PaymentTerms


def validate_currency_code(value: str) -> None:
    if not is_known_currency(value):
        raise ValidationError(
            f"{value!r} is not an ISO 4217 currency code.", code=CoreError.UNKNOWN_CURRENCY
        )


def validate_terms_code(value: str) -> None:
    try:
        PaymentTerms.parse(value)
    except DomainValidationError as err:
        raise ValidationError(err.message, code=err.code) from err


class CurrencyField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("validators", [validate_currency_code])
        kwargs.setdefault("help_text", "ISO 4217 code, e.g. USD, EUR, JPY")
        super().__init__(*args, **kwargs)


class PaymentTermsField(models.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 12)
        kwargs.setdefault("validators", [validate_terms_code])
        kwargs.setdefault("help_text", "NET30, NET45, NET60, NET30EOM, EOM, 1MEOM or DUE")
        super().__init__(*args, **kwargs)


def money_field(**kwargs) -> models.DecimalField:
    """An amount already rounded to its currency (4 places fit KWD's 3 and CLF's 4)."""
    return models.DecimalField(max_digits=19, decimal_places=4, **kwargs)


def unit_price_field(**kwargs) -> models.DecimalField:
    """Unit prices may carry more places than the currency; line amounts are rounded."""
    return models.DecimalField(max_digits=19, decimal_places=6, **kwargs)


def quantity_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=19, decimal_places=4, **kwargs)
