"""Converters of the mapping table: a Salesforce value -> ours, or a MappingError.

Each takes the Salesforce value (str, Decimal, bool or None; JSON numbers arrive as
Decimal because the client parses floats as Decimal) and the Salesforce field name, and
says its rule in its docstring (shown on the runs page). Messages name the Salesforce
field and the rule, never the value (they reach the run log), except for codes such as
a currency or a picklist value, which are not customer data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.errors import DomainValidationError
from core.money import validate_currency
from core.terms import PaymentTerms
from ordermgmt.models import BillingFrequency, ContractKind, RevenueType


class MappingError(Exception):
    def __init__(self, *, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


# --- converters -----------------------------------------------------------------------
# Each takes the Salesforce value (str, Decimal, bool or None; JSON numbers arrive as
# Decimal because the client parses floats as Decimal) and the Salesforce field name.

Converter = Callable[[Any, str], Any]


def _missing(sf_field: str, code: str = "missing") -> MappingError:
    return MappingError(field=sf_field, code=code, message=f"{sf_field} is empty.")


def text(max_length: int, *, required: bool = False) -> Converter:
    def convert(value: Any, sf_field: str) -> str:
        result = "" if value is None else str(value).strip()
        if required and not result:
            raise _missing(sf_field)
        if len(result) > max_length:
            raise MappingError(
                field=sf_field,
                code="too_long",
                message=f"{sf_field} has {len(result)} characters; at most {max_length} fit.",
            )
        return result

    convert.__doc__ = f"text, at most {max_length} characters" + (", required" if required else "")
    return convert


def email(value: Any, sf_field: str) -> str:
    """e-mail address, required (invoices go there)"""
    result = (value or "").strip()
    if not result:
        raise _missing(sf_field, "missing_email")
    try:
        validate_email(result)
    except ValidationError as err:
        raise MappingError(
            field=sf_field, code="invalid_email", message=f"{sf_field} is not an e-mail address."
        ) from err
    return result


def boolean(value: Any, sf_field: str) -> bool:
    """true/false"""
    return bool(value)


def currency(value: Any, sf_field: str) -> str:
    """ISO 4217 code, checked with core.money.validate_currency"""
    try:
        return validate_currency(value or "", field=sf_field)
    except DomainValidationError as err:
        raise MappingError(field=sf_field, code=err.code, message=err.message) from err


def _decimal(value: Any, sf_field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as err:
        raise MappingError(
            field=sf_field, code="not_a_number", message=f"{sf_field} is not a number."
        ) from err


def amount(value: Any, sf_field: str) -> Decimal:
    """Decimal, required, not negative"""
    number = _decimal(value, sf_field)
    if number is None:
        raise MappingError(
            field=sf_field, code="missing_amount", message=f"{sf_field} is empty: no amount."
        )
    if number < 0:
        raise MappingError(field=sf_field, code="negative", message=f"{sf_field} is negative.")
    return number


def quantity(value: Any, sf_field: str) -> Decimal:
    """Decimal, required, not negative"""
    number = _decimal(value, sf_field)
    if number is None:
        raise _missing(sf_field)
    if number < 0:
        raise MappingError(field=sf_field, code="negative", message=f"{sf_field} is negative.")
    return number


def percent(value: Any, sf_field: str) -> Decimal:
    """Decimal 0 to 100; empty is 0"""
    number = _decimal(value, sf_field)
    if number is None:
        return Decimal("0")
    if not Decimal(0) <= number <= Decimal(100):
        raise MappingError(
            field=sf_field, code="out_of_range", message=f"{sf_field} is outside 0 to 100%."
        )
    return number


def sf_date(*, required: bool) -> Converter:
    def convert(value: Any, sf_field: str) -> date | None:
        if not value:
            if required:
                raise MappingError(
                    field=sf_field, code="missing_date", message=f"{sf_field} is empty."
                )
            return None
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError as err:
            raise MappingError(
                field=sf_field, code="invalid_date", message=f"{sf_field} is not a date."
            ) from err

    convert.__doc__ = "date (YYYY-MM-DD)" + (", required" if required else "")
    return convert


@cache
def _countries() -> dict[str, str]:
    from babel import Locale

    names: dict[str, str] = {}
    for code, name in Locale("en").territories.items():
        if len(code) == 2 and code.isalpha():
            names[name.casefold()] = code
            names[code.casefold()] = code
    for alias, code in {
        "usa": "US",
        "u.s.": "US",
        "u.s.a.": "US",
        "united states of america": "US",
        "uk": "GB",
        "great britain": "GB",
        "england": "GB",
        "the netherlands": "NL",
        "holland": "NL",
    }.items():
        names[alias] = code
    return names


def country(value: Any, sf_field: str) -> str:
    """country name or code -> ISO 3166 alpha-2 (English names, e.g. "Germany" -> DE)"""
    text_value = (value or "").strip()
    if not text_value:
        return ""
    code = _countries().get(text_value.casefold())
    if code is None:
        raise MappingError(
            field=sf_field,
            code="unknown_country",
            message=f"{sf_field} is not a country name or ISO 3166 code.",
        )
    return code


def street_line(index: int) -> Converter:
    def convert(value: Any, sf_field: str) -> str:
        lines = [line.strip() for line in (value or "").splitlines() if line.strip()] or [""]
        result = lines[0] if index == 0 else ", ".join(lines[1:])
        if len(result) > 200:
            raise MappingError(
                field=sf_field, code="too_long", message=f"{sf_field} line is too long."
            )
        return result

    convert.__doc__ = "first line" if index == 0 else "further lines, joined with ', '"
    return convert


def picklist(choices: Mapping[str, str], *, default: str | None, code: str) -> Converter:
    lowered = {key.casefold(): value for key, value in choices.items()}

    def convert(value: Any, sf_field: str) -> str:
        text_value = (value or "").strip()
        if not text_value:
            if default is None:
                raise _missing(sf_field, code)
            return default
        result = lowered.get(text_value.casefold())
        if result is None:
            raise MappingError(
                field=sf_field,
                code=code,
                message=f"{sf_field} {text_value!r} has no Ledgerline equivalent.",
            )
        return result

    pairs = ", ".join(f"{k} → {v}" for k, v in choices.items())
    convert.__doc__ = pairs + (f"; empty → {default}" if default else "; required")
    return convert


def deal_kind(value: Any, sf_field: str) -> str:
    """a renewal ("Renewal", "Existing Business - Renewal", any value naming a renewal) →
    renewal; anything else ("New Business", "New Customer", "Existing Customer -
    Upgrade", empty) → new business"""
    # Opportunity.Type is a picklist each org edits (Salesforce ships "New Customer" and
    # "Existing Customer - Upgrade/Replacement/Downgrade"; many orgs use "New Business",
    # "Existing Business" and "Renewal"). Only a renewal changes what the contract is; an
    # upgrade booked as its own deal is an add-on order, a new contract of its own.
    text_value = (value or "").casefold()
    return ContractKind.RENEWAL.value if "renewal" in text_value else ContractKind.NEW.value


def payment_terms(value: Any, sf_field: str) -> str | None:
    """ "Net 30" → NET30, "Net 30 EOM" → NET30EOM, "Due on Receipt" → DUE; empty → the
    account's default terms"""
    text_value = (value or "").strip()
    if not text_value:
        return None
    normalized = text_value.upper().replace(" ", "").replace("-", "")
    if normalized in {"DUEONRECEIPT", "DUEUPONRECEIPT", "ONRECEIPT"}:
        normalized = "DUE"
    try:
        return PaymentTerms.parse(normalized, field=sf_field).code
    except DomainValidationError as err:
        raise MappingError(
            field=sf_field,
            code="invalid_payment_terms",
            message=f"{sf_field} {text_value!r} is not a payment term Ledgerline knows.",
        ) from err


def sf_reference(value: Any, sf_field: str) -> str | None:
    """Salesforce id, resolved to the local row synced from it"""
    return value or None


def passthrough(value: Any, sf_field: str) -> Any:
    """kept as is"""
    return value


SEMI_ANNUAL = "Semi-Annual"
BILLING_FREQUENCIES = {
    "Upfront": BillingFrequency.UPFRONT.value,
    "Annual": BillingFrequency.ANNUAL.value,
    SEMI_ANNUAL: BillingFrequency.CUSTOM.value,
    "Quarterly": BillingFrequency.QUARTERLY.value,
    "Monthly": BillingFrequency.MONTHLY.value,
}
REVENUE_TYPES = {
    "Subscription": RevenueType.SUBSCRIPTION.value,
    "Professional Services": RevenueType.PROFESSIONAL_SERVICES.value,
    "Usage": RevenueType.USAGE.value,
    "One-Time": RevenueType.ONE_TIME.value,
}
