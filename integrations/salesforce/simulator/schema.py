"""The simulated org's objects: Salesforce's standard fields plus Ledgerline's custom ones."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .metadata import ChildRelationship, FieldDef, ObjectDef, label_for

CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF")

# Stage -> (probability, is_closed, is_won): Salesforce derives IsClosed/IsWon from the
# stage's picklist metadata, so the simulator does too.
STAGES: dict[str, tuple[int, bool, bool]] = {
    "Prospecting": (10, False, False),
    "Qualification": (10, False, False),
    "Needs Analysis": (20, False, False),
    "Value Proposition": (50, False, False),
    "Id. Decision Makers": (60, False, False),
    "Perception Analysis": (70, False, False),
    "Proposal/Price Quote": (75, False, False),
    "Negotiation/Review": (90, False, False),
    "Closed Won": (100, True, True),
    "Closed Lost": (0, True, False),
}
BILLING_FREQUENCIES = ("Upfront", "Annual", "Semi-Annual", "Quarterly", "Monthly")
PAYMENT_TERMS = ("Due on Receipt", "Net 15", "Net 30", "Net 45", "Net 60", "Net 90")
REVENUE_TYPES = ("Subscription", "Professional Services", "Usage", "One-Time")
PRODUCT_FAMILIES = ("Platform", "Add-On", "Services", "Support")
OPPORTUNITY_TYPES = ("New Business", "Existing Business - Upgrade", "Existing Business - Renewal")


def text(name: str, length: int = 255, **kw: Any) -> FieldDef:
    return FieldDef(
        name, kw.pop("type", "string"), kw.pop("label", label_for(name)), length=length, **kw
    )


def picklist(name: str, values: tuple[str, ...], **kw: Any) -> FieldDef:
    return FieldDef(
        name, "picklist", kw.pop("label", label_for(name)), picklist=values, length=255, **kw
    )


def number(
    name: str, kind: str = "currency", precision: int = 18, scale: int = 2, **kw: Any
) -> FieldDef:
    return FieldDef(
        name, kind, kw.pop("label", label_for(name)), precision=precision, scale=scale, **kw
    )


def typed(name: str, kind: str, **kw: Any) -> FieldDef:
    return FieldDef(name, kind, kw.pop("label", label_for(name)), **kw)


def lookup(name: str, target: str, relationship: str, **kw: Any) -> FieldDef:
    return FieldDef(
        name,
        "reference",
        kw.pop("label", label_for(name) or target),
        length=18,
        reference_to=target,
        relationship_name=relationship,
        **kw,
    )


def _system_fields() -> list[FieldDef]:
    read_only = {"createable": False, "updateable": False, "nillable": False}
    return [
        typed("IsDeleted", "boolean", label="Deleted", **read_only),
        typed("CreatedDate", "datetime", label="Created Date", **read_only),
        lookup("CreatedById", "User", "CreatedBy", label="Created By ID", **read_only),
        typed("LastModifiedDate", "datetime", label="Last Modified Date", **read_only),
        lookup(
            "LastModifiedById", "User", "LastModifiedBy", label="Last Modified By ID", **read_only
        ),
        typed("SystemModstamp", "datetime", label="System Modstamp", **read_only),
    ]


def _object(
    name: str, prefix: str, plural: str, fields: list[FieldDef], label: str = ""
) -> ObjectDef:
    id_field = FieldDef(
        "Id",
        "id",
        f"{label or name} ID",
        nillable=False,
        createable=False,
        updateable=False,
        length=18,
    )
    all_fields = [id_field, *fields, *_system_fields()]
    return ObjectDef(name, label or name, plural, prefix, {f.name: f for f in all_fields})


def _build_schema(
    *, multi_currency: bool = True, without: frozenset[str] = frozenset()
) -> dict[str, ObjectDef]:
    """The org's objects. `multi_currency=False` is an org without multi-currency (the
    Salesforce default): no CurrencyIsoCode anywhere. `without` leaves out fields such
    as "Opportunity.PO_Number__c" (an org that never created them)."""
    calc = {"createable": False, "updateable": False, "calculated": True}
    owner = lookup("OwnerId", "User", "Owner", label="Owner ID", nillable=False, default="user")
    currency = picklist(
        "CurrencyIsoCode",
        CURRENCIES,
        label="Currency ISO Code",
        restricted=True,
        nillable=False,
        default="USD",
    )
    user = _object(
        "User",
        "005",
        "Users",
        [
            text("Username", 80, nillable=False),
            text("Name", 121, label="Full Name", **calc),
            text("FirstName", 40),
            text("LastName", 80, nillable=False),
            text("Email", 128, type="email", nillable=False),
            text("Title", 80),
            typed("IsActive", "boolean", label="Active", nillable=False, default=True),
        ],
    )
    account = _object(
        "Account",
        "001",
        "Accounts",
        [
            text("Name", 255, label="Account Name", nillable=False),
            picklist("Type", ("Customer - Direct", "Customer - Channel", "Prospect", "Partner")),
            picklist(
                "Industry",
                (
                    "Technology",
                    "Manufacturing",
                    "Finance",
                    "Healthcare",
                    "Retail",
                    "Logistics",
                    "Media",
                    "Education",
                ),
            ),
            text("BillingStreet", 255, type="textarea"),
            text("BillingCity", 40),
            text("BillingState", 80, label="Billing State/Province"),
            text("BillingPostalCode", 20, label="Billing Zip/Postal Code"),
            text("BillingCountry", 80),
            text("Phone", 40, type="phone"),
            text("Website", 255, type="url"),
            currency,
            text("Tax_Id__c", 40, label="Tax ID"),
            owner,
        ],
    )
    contact = _object(
        "Contact",
        "003",
        "Contacts",
        [
            lookup("AccountId", "Account", "Account", label="Account ID"),
            text("FirstName", 40),
            text("LastName", 80, nillable=False),
            text("Name", 121, label="Full Name", **calc),
            text("Title", 128),
            text("Email", 80, type="email"),
            text("Phone", 40, type="phone"),
            typed(
                "Billing_Contact__c",
                "boolean",
                label="Billing Contact",
                nillable=False,
                default=False,
            ),
            currency,
            owner,
        ],
    )
    product = _object(
        "Product2",
        "01t",
        "Products",
        [
            text("Name", 255, label="Product Name", nillable=False),
            text("ProductCode", 255),
            text("Description", 4000, type="textarea"),
            picklist("Family", PRODUCT_FAMILIES, label="Product Family"),
            typed("IsActive", "boolean", label="Active", nillable=False, default=True),
            picklist("Revenue_Type__c", REVENUE_TYPES, label="Revenue Type"),
        ],
        label="Product",
    )
    opportunity = _object(
        "Opportunity",
        "006",
        "Opportunities",
        [
            lookup("AccountId", "Account", "Account", label="Account ID"),
            text("Name", 120, nillable=False),
            picklist("StageName", tuple(STAGES), label="Stage", restricted=True, nillable=False),
            typed("IsClosed", "boolean", label="Closed", nillable=False, **calc),
            typed("IsWon", "boolean", label="Won", nillable=False, **calc),
            number("Probability", "percent", 3, 0, label="Probability (%)"),
            typed("CloseDate", "date", label="Close Date", nillable=False),
            number("Amount"),
            currency,
            picklist("Type", OPPORTUNITY_TYPES, label="Opportunity Type"),
            text("Description", 32000, type="textarea"),
            owner,
            typed("Contract_Start_Date__c", "date", label="Contract Start Date"),
            typed("Contract_End_Date__c", "date", label="Contract End Date"),
            picklist("Billing_Frequency__c", BILLING_FREQUENCIES, label="Billing Frequency"),
            picklist("Payment_Terms__c", PAYMENT_TERMS, label="Payment Terms"),
            text("PO_Number__c", 80, label="PO Number"),
            lookup("Billing_Contact__c", "Contact", "Billing_Contact__r", label="Billing Contact"),
        ],
    )
    line = _object(
        "OpportunityLineItem",
        "00k",
        "Opportunity Product",
        [
            lookup(
                "OpportunityId",
                "Opportunity",
                "Opportunity",
                label="Opportunity ID",
                nillable=False,
                updateable=False,
            ),
            lookup(
                "Product2Id",
                "Product2",
                "Product2",
                label="Product ID",
                nillable=False,
                updateable=False,
            ),
            text("Name", 376, label="Opportunity Product Name", **calc),
            text("ProductCode", 255, label="Product Code", **calc),
            number("Quantity", "double", 12, 2, nillable=False),
            number("UnitPrice", label="Sales Price", nillable=False),
            number("ListPrice", label="List Price"),
            number("Discount", "percent", 5, 2),
            number("TotalPrice", label="Total Price", **calc),
            typed("ServiceDate", "date", label="Date"),
            text("Description", 255, label="Line Description"),
            replace(currency, createable=False, updateable=False),
        ],
        label="Opportunity Product",
    )
    account.children.update(
        {
            "Contacts": ChildRelationship("Contacts", "Contact", "AccountId", True),
            "Opportunities": ChildRelationship("Opportunities", "Opportunity", "AccountId", True),
        }
    )
    opportunity.children["OpportunityLineItems"] = ChildRelationship(
        "OpportunityLineItems", "OpportunityLineItem", "OpportunityId", True
    )
    product.children["OpportunityLineItems"] = ChildRelationship(
        "OpportunityLineItems", "OpportunityLineItem", "Product2Id", False
    )
    organization = _object(
        "Organization",
        "00D",
        "Organizations",
        [
            text("Name", 80, nillable=False),
            picklist(
                "DefaultCurrencyIsoCode", CURRENCIES, label="Currency ISO Code", restricted=True
            ),
            typed("IsSandbox", "boolean", label="Is Sandbox", nillable=False, default=False),
        ],
    )
    objects = [user, organization, account, contact, product, opportunity, line]
    for obj in objects:
        dropped = [
            name
            for name in obj.fields
            if (name == "CurrencyIsoCode" and not multi_currency) or f"{obj.name}.{name}" in without
        ]
        if dropped:
            kept = {n: f for n, f in obj.fields.items() if n not in dropped}
            children = obj.children
            obj.__init__(obj.name, obj.label, obj.label_plural, obj.key_prefix, kept)
            obj.children.update(children)
    return {obj.name: obj for obj in objects}


class Schema:
    """One org's objects and fields (describe, SOQL and writes all read it)."""

    def __init__(
        self, *, multi_currency: bool = True, without: frozenset[str] | set[str] = frozenset()
    ) -> None:
        self.multi_currency = multi_currency
        self.without = frozenset(without)
        self.objects = _build_schema(multi_currency=multi_currency, without=self.without)
        self._by_lower = {name.lower(): obj for name, obj in self.objects.items()}
        self._by_prefix = {obj.key_prefix: obj for obj in self.objects.values()}

    def get_object(self, name: str) -> ObjectDef | None:
        return self._by_lower.get(name.lower())

    def object_for_id(self, record_id: str) -> ObjectDef | None:
        return self._by_prefix.get(record_id[:3])

    def global_describe(self, version: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [obj.describe_summary(version) for obj in self.objects.values()],
        }


DEFAULT_SCHEMA = Schema()
SCHEMA: dict[str, ObjectDef] = DEFAULT_SCHEMA.objects
