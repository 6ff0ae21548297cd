"""One Opportunity row (with its account, billing contact, lines and products) mapped into
a booking unit, without touching the database: the values in our terms, and every
problem that makes it a bad record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ordermgmt.models import (
    BillingFrequency,
)

from .context import Incoming
from .converters import SEMI_ANNUAL
from .fetch import parse_sf_datetime
from .mapping import (
    ACCOUNT,
    CLOSED_WON,
    CONTACT,
    LINE,
    OPPORTUNITY,
    PRODUCT,
    MappingError,
    canonical,
    check_contract_dates,
    custom_field,
    relationship_name,
    round_line_total,
    semi_annual_plan,
    setting_key,
)


@dataclass
class BookingUnit:
    sf_id: str
    modstamp: datetime | None
    deleted: bool = False
    closed_won: bool = False
    stage: str = ""
    opportunity: Incoming | None = None
    account: Incoming | None = None
    contact: Incoming | None = None
    contact_problems: list[MappingError] = field(default_factory=list)
    products: list[Incoming] = field(default_factory=list)
    lines: list[Incoming] = field(default_factory=list)
    problems: list[MappingError] = field(default_factory=list)
    contract_problems: list[MappingError] = field(default_factory=list)

    @property
    def blocking_problems(self) -> list[MappingError]:
        """Contract terms only matter for a booked deal: a lost one needs no dates."""
        return self.problems + (self.contract_problems if self.closed_won else [])


# The opportunity's fields that are its own, and those that are its contract's terms.
_OWN_FIELDS = frozenset(f.sf_field for f in OPPORTUNITY.fields if not f.is_contract_term)
_CONTRACT_FIELDS = frozenset(f.sf_field for f in OPPORTUNITY.fields if f.is_contract_term)


def _prefixed(problems: Iterable[MappingError], prefix: str) -> list[MappingError]:
    return [
        MappingError(field=f"{prefix}{p.field}", code=p.code, message=p.message) for p in problems
    ]


def build_unit(record: dict[str, Any]) -> BookingUnit:
    """Map one Opportunity row (with its related rows) into a unit; no database access."""
    sf_id = record["Id"]
    unit = BookingUnit(sf_id=sf_id, modstamp=parse_sf_datetime(record.get("SystemModstamp")))
    key = setting_key()  # the custom-field names, read once for the unit's records
    if record.get("IsDeleted"):
        unit.deleted = True
        return unit
    unit.stage = record.get("StageName") or ""
    unit.closed_won = unit.stage == CLOSED_WON
    values, problems = OPPORTUNITY.convert(record, key)
    for problem in problems:
        # A field mapped both ways (Name, CurrencyIsoCode) is reported once, as the
        # opportunity's own problem.
        if problem.field in _OWN_FIELDS:
            if not any(p.field == problem.field for p in unit.problems):
                unit.problems.append(problem)
        elif problem.field in _CONTRACT_FIELDS:
            unit.contract_problems.append(problem)
    unit.contract_problems.extend(check_contract_dates(values))

    account = record.get("Account")
    if not account:
        unit.problems.append(
            MappingError(field="AccountId", code="missing_account", message="AccountId is empty.")
        )
    else:
        account_values, account_problems = ACCOUNT.convert(account, key)
        unit.problems.extend(_prefixed(account_problems, "Account."))
        unit.account = Incoming(
            "Account",
            account["Id"],
            parse_sf_datetime(account.get("SystemModstamp")),
            account_values,
        )

    contact_lookup = custom_field("opportunity_billing_contact", key)
    contact = record.get(relationship_name(contact_lookup)) if contact_lookup else None
    if contact:
        contact_values, contact_problems = CONTACT.convert(contact, key)
        contact_values["is_billing_contact"] = True  # the deal's billing contact, always
        unit.contact_problems = contact_problems
        unit.contact = Incoming(
            "Contact",
            contact["Id"],
            parse_sf_datetime(contact.get("SystemModstamp")),
            contact_values,
        )

    currency_ok = "currency" in values
    line_result = record.get("OpportunityLineItems") or {}
    if not line_result.get("done", True):
        # fetch reads every child page; a partial list must never pass for the deal.
        unit.problems.append(
            MappingError(
                field="OpportunityLineItems",
                code="lines_incomplete",
                message="Only part of the line items was read; nothing was written.",
            )
        )
    line_records = [
        line for line in (line_result.get("records") or []) if not line.get("IsDeleted")
    ]
    for line in line_records:
        line_values, line_problems = LINE.convert(line, key)
        prefix = f"OpportunityLineItem {line['Id']}."
        unit.problems.extend(_prefixed(line_problems, prefix))
        product = line.get("Product2")
        if not product:
            unit.problems.append(
                MappingError(
                    field=f"{prefix}Product2Id",
                    code="unknown_product",
                    message="The line's product can't be read.",
                )
            )
        else:
            product_values, product_problems = PRODUCT.convert(product, key)
            for problem in product_problems:
                code = "unknown_product" if problem.field == "ProductCode" else problem.code
                unit.problems.append(
                    MappingError(
                        field=f"Product2 {product['Id']}.{problem.field}",
                        code=code,
                        message=(
                            "The product has no ProductCode, so it can't be matched to a "
                            "Ledgerline SKU."
                            if code == "unknown_product"
                            else problem.message
                        ),
                    )
                )
            unit.products.append(
                Incoming(
                    "Product2",
                    product["Id"],
                    parse_sf_datetime(product.get("SystemModstamp")),
                    product_values,
                )
            )
        if currency_ok and "total_price" in line_values:
            line_values["total_price"] = round_line_total(
                line_values["total_price"], values["currency"]
            )
        unit.lines.append(
            Incoming(
                "OpportunityLineItem",
                line["Id"],
                parse_sf_datetime(line.get("SystemModstamp")),
                line_values,
            )
        )
    if not line_records:
        unit.contract_problems.append(
            MappingError(
                field="OpportunityLineItems",
                code="no_line_items",
                message="The opportunity has no products; a contract needs at least one line.",
            )
        )
    if (
        values.get("contract.billing_frequency") == BillingFrequency.CUSTOM.value
        and record.get(custom_field("billing_frequency", key)) == SEMI_ANNUAL
        and values.get("contract.start_date")
        and values.get("contract.end_date")
        and not unit.contract_problems
    ):
        values["contract.custom_billing_plan"] = semi_annual_plan(
            values["contract.start_date"], values["contract.end_date"]
        )
    else:
        values["contract.custom_billing_plan"] = []
    unit.opportunity = Incoming("Opportunity", sf_id, unit.modstamp, values)
    return unit


def contract_lines_composite(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contract's lines as one comparable value (order-insensitive)."""
    items = []
    for line in lines:
        item = {
            "product_id": line["product_id"],
            "quantity": canonical(line["quantity"]),
            "unit_price": canonical(line["unit_price"]),
            "discount_percent": canonical(line["discount_percent"]),
        }
        if line.get("ramp_steps"):
            item["ramp_steps"] = line["ramp_steps"]
        items.append(item)
    return sorted(
        items,
        key=lambda i: (i["product_id"], i["quantity"], i["unit_price"], i["discount_percent"]),
    )
