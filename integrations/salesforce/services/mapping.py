"""The one mapping table: Salesforce field -> Ledgerline field, with its converter.

Each object is a declarative list of `FieldMap(sf_field, local_field, converter)`. The
SOQL queries are built from these lists, so a field added here is read and written
without touching the fetch or upsert code. Local fields named "contract.<field>" are
not columns of the local row: they are the draft contract's terms (or contract line
values) kept in the opportunity's (or line's) last-synced snapshot.

Converters return the value in our terms or raise `MappingError(field, code, message)`;
a record with any error is a bad record: reported on its own, not written. Messages name
the Salesforce field and the rule, never the value (they reach the run log), except for
codes such as a currency or a picklist value, which are not customer data.

Cross-field rules live in the small functions at the end: contract end not before its
start, "Semi-Annual" billing as a custom plan of equal installments every six months,
blank payment terms falling back to the account's default, line totals rounded to the
opportunity currency's minor unit.

The table is shown on the sync runs page and in integrations/salesforce/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from billing.money import round_money, split, validate_currency
from billing.terms import PaymentTerms, add_months
from ordermgmt.errors import DomainValidationError
from ordermgmt.models import BillingFrequency, RevenueType

CLOSED_WON = "Closed Won"
CONTRACT_PREFIX = "contract."


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
    """ISO 4217 code, checked with billing.money.validate_currency"""
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


# --- the table --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldMap:
    sf_field: str
    local_field: str
    convert: Converter
    label: str = ""

    @property
    def is_contract_term(self) -> bool:
        return self.local_field.startswith(CONTRACT_PREFIX)

    @property
    def rule(self) -> str:
        return (self.convert.__doc__ or "").strip()


@dataclass(frozen=True)
class ObjectMap:
    sf_object: str
    local_model: str
    fields: tuple[FieldMap, ...]
    # Read too, but not mapped: ids, deletion, watermark and what the sync code needs.
    system_fields: tuple[str, ...] = ("Id", "IsDeleted", "SystemModstamp")
    extra_fields: tuple[str, ...] = field(default=())

    def soql_fields(self) -> list[str]:
        names: list[str] = []
        for name in (*self.system_fields, *(f.sf_field for f in self.fields), *self.extra_fields):
            if name not in names:
                names.append(name)
        return names

    def local_fields(self) -> list[str]:
        return [f.local_field for f in self.fields if not f.is_contract_term]

    def convert(self, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[MappingError]]:
        """Every mapped value, and every problem found (not just the first)."""
        values: dict[str, Any] = {}
        problems: list[MappingError] = []
        for spec in self.fields:
            try:
                values[spec.local_field] = spec.convert(_get(record, spec.sf_field), spec.sf_field)
            except MappingError as err:
                problems.append(err)
        return values, problems


def _get(record: Mapping[str, Any] | None, path: str) -> Any:
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


ACCOUNT = ObjectMap(
    "Account",
    "ordermgmt.account",
    (
        FieldMap("Name", "legal_name", text(200, required=True), "Legal name"),
        FieldMap("BillingStreet", "billing_address_line1", street_line(0), "Address line 1"),
        FieldMap("BillingStreet", "billing_address_line2", street_line(1), "Address line 2"),
        FieldMap("BillingCity", "billing_city", text(100), "City"),
        FieldMap("BillingState", "billing_region", text(100), "Region"),
        FieldMap("BillingPostalCode", "billing_postal_code", text(20), "Postal code"),
        FieldMap("BillingCountry", "billing_country", country, "Country"),
        FieldMap("CurrencyIsoCode", "default_currency", currency, "Default currency"),
        FieldMap("Tax_Id__c", "tax_id", text(50), "Tax ID"),
    ),
)

CONTACT = ObjectMap(
    "Contact",
    "ordermgmt.contact",
    (
        FieldMap("AccountId", "account_id", sf_reference, "Account"),
        FieldMap("Name", "name", text(200, required=True), "Name"),
        FieldMap("Email", "email", email, "E-mail"),
        FieldMap("Phone", "phone", text(40), "Phone"),
        FieldMap("Billing_Contact__c", "is_billing_contact", boolean, "Billing contact"),
    ),
)

PRODUCT = ObjectMap(
    "Product2",
    "ordermgmt.product",
    (
        FieldMap("ProductCode", "sku", text(64, required=True), "SKU"),
        FieldMap("Name", "name", text(200, required=True), "Name"),
        FieldMap("IsActive", "active", boolean, "Active"),
        FieldMap(
            "Revenue_Type__c",
            "revenue_type",
            picklist(REVENUE_TYPES, default=None, code="unknown_revenue_type"),
            "Revenue type",
        ),
    ),
)

OPPORTUNITY = ObjectMap(
    "Opportunity",
    "ordermgmt.opportunity",
    (
        FieldMap("AccountId", "account_id", sf_reference, "Account"),
        FieldMap("Name", "name", text(200, required=True), "Name"),
        FieldMap("StageName", "stage", text(60, required=True), "Stage"),
        FieldMap("CloseDate", "close_date", sf_date(required=True), "Close date"),
        FieldMap("Amount", "amount", amount, "Amount"),
        FieldMap("CurrencyIsoCode", "currency", currency, "Currency"),
        FieldMap("Owner.Name", "owner_name", text(200), "Owner"),
        # The draft contract's terms (Contract model fields):
        FieldMap("Name", "contract.name", text(200, required=True), "Contract name"),
        FieldMap(
            "Contract_Start_Date__c",
            "contract.start_date",
            sf_date(required=True),
            "Contract start",
        ),
        FieldMap(
            "Contract_End_Date__c", "contract.end_date", sf_date(required=True), "Contract end"
        ),
        FieldMap("CurrencyIsoCode", "contract.currency", currency, "Contract currency"),
        FieldMap("Payment_Terms__c", "contract.payment_terms", payment_terms, "Payment terms"),
        FieldMap(
            "Billing_Frequency__c",
            "contract.billing_frequency",
            picklist(
                BILLING_FREQUENCIES,
                default=BillingFrequency.ANNUAL.value,
                code="unknown_billing_frequency",
            ),
            "Billing frequency",
        ),
        FieldMap("PO_Number__c", "contract.po_number", text(64), "PO number"),
    ),
    extra_fields=("Billing_Contact__c",),
)

LINE = ObjectMap(
    "OpportunityLineItem",
    "ordermgmt.opportunityline",
    (
        FieldMap("Product2Id", "product_id", sf_reference, "Product"),
        FieldMap("Quantity", "quantity", quantity, "Quantity"),
        FieldMap("UnitPrice", "unit_price", quantity, "Unit price"),
        FieldMap("TotalPrice", "total_price", amount, "Total price"),
        FieldMap("Discount", "contract.discount_percent", percent, "Discount %"),
    ),
)

OBJECT_MAPS: dict[str, ObjectMap] = {
    m.sf_object: m for m in [ACCOUNT, CONTACT, PRODUCT, OPPORTUNITY, LINE]
}
LOCAL_FIELD_LABELS: dict[tuple[str, str], str] = {
    (m.sf_object, f.local_field): f.label for m in OBJECT_MAPS.values() for f in m.fields
}


def mapping_rows() -> list[dict[str, str]]:
    """The table as rows, for the page and the docs."""
    return [
        {
            "sf_object": m.sf_object,
            "sf_field": f.sf_field,
            "local": (
                f"Contract.{f.local_field.removeprefix(CONTRACT_PREFIX)}"
                if f.is_contract_term and m.sf_object == "Opportunity"
                else (
                    f"ContractLine.{f.local_field.removeprefix(CONTRACT_PREFIX)}"
                    if f.is_contract_term
                    else f"{m.local_model.split('.')[1].title()}.{f.local_field}"
                )
            ),
            "rule": f.rule,
        }
        for m in OBJECT_MAPS.values()
        for f in m.fields
    ]


# --- cross-field rules ---------------------------------------------------------------------


def check_contract_dates(values: dict[str, Any]) -> list[MappingError]:
    start, end = values.get("contract.start_date"), values.get("contract.end_date")
    if start and end and end < start:
        return [
            MappingError(
                field="Contract_End_Date__c",
                code="end_before_start",
                message="Contract_End_Date__c is before Contract_Start_Date__c.",
            )
        ]
    return []


def semi_annual_plan(start: date, end: date) -> list[dict[str, str]]:
    """Equal installments every six months from the start, inside the term, adding to 100%.

    Ledgerline bills monthly, quarterly, annually or upfront; Salesforce's "Semi-Annual"
    becomes a custom plan (which deal desk reviews as a non-standard term)."""
    dates = []
    current = start
    while current <= end:
        dates.append(current)
        current = add_months(start, 6 * len(dates))
    # split() rounds to a "currency" minor unit; CLF has 4 decimals, fine for percents.
    percents = split(Decimal(100), [1] * len(dates), "CLF")
    return [
        {"billing_date": d.isoformat(), "percent": canonical(p)}
        for d, p in zip(dates, percents, strict=True)
    ]


def round_line_total(value: Decimal, currency_code: str) -> Decimal:
    return round_money(value, currency_code)


# --- canonical values ------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """JSON-safe and comparable: Decimal("120.0") and Decimal("120.0000") are both "120"."""
    if isinstance(value, Decimal):
        normalized = value.normalize()
        return format(normalized, "f") if normalized != 0 else "0"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    return value


def canonical_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: canonical(v) for k, v in values.items()}


def describe_problems(problems: Iterable[MappingError]) -> str:
    return "; ".join(f"{p.field}: {p.message} ({p.code})" for p in problems)
