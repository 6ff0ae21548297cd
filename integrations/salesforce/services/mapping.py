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

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.conf import settings

from core.money import round_money, split
from core.terms import add_months
from ordermgmt.models import BillingFrequency

from .converters import (
    BILLING_FREQUENCIES,
    REVENUE_TYPES,
    Converter,
    MappingError,
    amount,
    boolean,
    country,
    currency,
    deal_kind,
    email,
    payment_terms,
    percent,
    picklist,
    quantity,
    sf_date,
    sf_reference,
    street_line,
    text,
)

CLOSED_WON = "Closed Won"
CONTRACT_PREFIX = "contract."
# Terms that decide how the draft contract is made, not terms it keeps in step with
# Salesforce: a later change of the deal's Type does not re-type an existing contract.
DRAFT_ONLY_TERMS = frozenset({"contract.kind"})
CURRENCY_FIELD = "CurrencyIsoCode"

# --- the org's custom fields ---------------------------------------------------------------
# Salesforce has no standard fields for these; each org names its own. The defaults are
# the names this product has always documented. SALESFORCE_CUSTOM_FIELDS overrides any of
# them (a role -> the org's API name); an optional role set to "" or None is not read.
DEFAULT_CUSTOM_FIELDS: dict[str, str] = {
    "account_tax_id": "Tax_Id__c",
    "contact_is_billing_contact": "Billing_Contact__c",
    "product_revenue_type": "Revenue_Type__c",
    "opportunity_billing_contact": "Billing_Contact__c",
    "contract_start_date": "Contract_Start_Date__c",
    "contract_end_date": "Contract_End_Date__c",
    "payment_terms": "Payment_Terms__c",
    "billing_frequency": "Billing_Frequency__c",
    "po_number": "PO_Number__c",
}
# Without these a contract can't be drafted: they can't be switched off.
REQUIRED_CUSTOM_FIELDS = frozenset(
    {"product_revenue_type", "contract_start_date", "contract_end_date"}
)


# The setting's last value seen (a copy, so a change made in place is seen too) and its key.
_last_configured: list[Any] = [{}, ()]


def _configured() -> tuple[tuple[str, Any], ...]:
    """SALESFORCE_CUSTOM_FIELDS as a hashable key (tests change the setting)."""
    # Read for every record mapped: a dict comparison, not a sort, when it is unchanged.
    configured = getattr(settings, "SALESFORCE_CUSTOM_FIELDS", None) or {}
    last, key = _last_configured
    if configured == last:
        return key
    key = tuple(sorted(configured.items()))
    _last_configured[:] = [dict(configured), key]
    return key


def setting_key() -> tuple[tuple[str, Any], ...]:
    """The custom-field setting as it is now: a caller mapping many records reads it once
    and passes it to ``convert`` and ``custom_fields``."""
    return _configured()


def custom_fields(key: tuple[tuple[str, Any], ...] | None = None) -> Mapping[str, str]:
    """Role -> the org's API name ("" when the org doesn't have that field)."""
    # Read for every record mapped: resolved once per distinct setting.
    return _resolved_custom_fields(_configured() if key is None else key)


@functools.lru_cache(maxsize=16)
def _resolved_custom_fields(configured_items: tuple[tuple[str, Any], ...]) -> Mapping[str, str]:
    configured = dict(configured_items)
    unknown = set(configured) - set(DEFAULT_CUSTOM_FIELDS)
    if unknown:
        raise ValueError("SALESFORCE_CUSTOM_FIELDS has unknown keys: " + ", ".join(sorted(unknown)))
    return MappingProxyType(
        {
            role: (configured[role] or "") if role in configured else default
            for role, default in DEFAULT_CUSTOM_FIELDS.items()
        }
    )


def custom_field(role: str, key: tuple[tuple[str, Any], ...] | None = None) -> str:
    return custom_fields(key)[role]


def relationship_name(lookup_field: str) -> str:
    """Billing_Contact__c -> Billing_Contact__r (a custom lookup's relationship)."""
    return lookup_field[:-3] + "__r" if lookup_field.endswith("__c") else lookup_field[:-2]


# --- the table --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldMap:
    sf_field: str  # the documented name; for a custom field, its default
    local_field: str
    convert: Converter
    label: str = ""
    custom: str = ""  # role in SALESFORCE_CUSTOM_FIELDS: the org's own name for the field

    def api_name(self, names: Mapping[str, str]) -> str:
        """The name in this org ("" when a custom field is switched off)."""
        return names[self.custom] if self.custom else self.sf_field

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
    extra_fields: tuple[str, ...] = field(default=())  # custom-field roles
    _plans: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def api_fields(self) -> list[tuple[FieldMap, str]]:
        """Each mapped field with its name in this org (switched-off ones left out)."""
        names = custom_fields()
        return [(spec, name) for spec in self.fields if (name := spec.api_name(names))]

    def soql_fields(self, *, multi_currency: bool = True) -> list[str]:
        names: list[str] = []
        extra = [custom_fields()[role] for role in self.extra_fields]
        mapped = [name for _, name in self.api_fields()]
        for name in (*self.system_fields, *mapped, *extra):
            if name and name not in names and (multi_currency or name != CURRENCY_FIELD):
                names.append(name)
        return names

    def local_fields(self) -> list[str]:
        return [f.local_field for f in self.fields if not f.is_contract_term]

    def convert(
        self, record: Mapping[str, Any], key: tuple[tuple[str, Any], ...] | None = None
    ) -> tuple[dict[str, Any], list[MappingError]]:
        """Every mapped value, and every problem found (not just the first).

        A custom field the org doesn't have is not read: a contract term takes its
        empty-value rule (terms from the account, annual billing), a record field keeps
        whatever Ledgerline holds."""
        values: dict[str, Any] = {}
        problems: list[MappingError] = []
        for local_field, name, label, convert in self._plan(key):
            try:
                if not name:
                    value = None
                elif "." in name:
                    value = _get(record, name)
                else:
                    value = record.get(name)
                values[local_field] = convert(value, label)
            except MappingError as err:
                problems.append(err)
        return values, problems

    def _plan(
        self, key: tuple[tuple[str, Any], ...] | None = None
    ) -> tuple[tuple[str, str, str, Converter], ...]:
        """(local field, API name or "", name in messages, converter) of every field read,
        worked out once per SALESFORCE_CUSTOM_FIELDS value: convert runs for every record."""
        if key is None:
            key = _configured()
        plan = self._plans.get(key)
        if plan is None:
            names = _resolved_custom_fields(key)
            plan = tuple(
                (spec.local_field, name, name or spec.sf_field, spec.convert)
                for spec in self.fields
                if (name := spec.api_name(names)) or spec.is_contract_term
            )
            self._plans[key] = plan
        return plan


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
        FieldMap("Tax_Id__c", "tax_id", text(50), "Tax ID", custom="account_tax_id"),
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
        FieldMap(
            "Billing_Contact__c",
            "is_billing_contact",
            boolean,
            "Billing contact",
            custom="contact_is_billing_contact",
        ),
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
            custom="product_revenue_type",
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
            custom="contract_start_date",
        ),
        FieldMap(
            "Contract_End_Date__c",
            "contract.end_date",
            sf_date(required=True),
            "Contract end",
            custom="contract_end_date",
        ),
        FieldMap("CurrencyIsoCode", "contract.currency", currency, "Contract currency"),
        FieldMap(
            "Payment_Terms__c",
            "contract.payment_terms",
            payment_terms,
            "Payment terms",
            custom="payment_terms",
        ),
        FieldMap(
            "Billing_Frequency__c",
            "contract.billing_frequency",
            picklist(
                BILLING_FREQUENCIES,
                default=BillingFrequency.ANNUAL.value,
                code="unknown_billing_frequency",
            ),
            "Billing frequency",
            custom="billing_frequency",
        ),
        FieldMap("PO_Number__c", "contract.po_number", text(64), "PO number", custom="po_number"),
        FieldMap("Type", "contract.kind", deal_kind, "Deal type"),
    ),
    extra_fields=("opportunity_billing_contact",),
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
            "sf_field": f.api_name(custom_fields()) or f"{f.sf_field} (not in this org)",
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
        names = custom_fields()
        end_field, start_field = names["contract_end_date"], names["contract_start_date"]
        return [
            MappingError(
                field=end_field,
                code="end_before_start",
                message=f"{end_field} is before {start_field}.",
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


_AS_THEY_ARE = frozenset({str, int, bool, float})


def canonical(value: Any) -> Any:
    """JSON-safe and comparable: Decimal("120.0") and Decimal("120.0000") are both "120"."""
    if value is None or type(value) in _AS_THEY_ARE:  # most values: answered first
        return value
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
