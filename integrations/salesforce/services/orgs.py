"""What the connected org has, and the preflight that checks it before anything is read.

The preflight describes every object the mapping reads (`GET sobjects/{Object}/describe`,
one call each) and reads the org's default currency (`SELECT DefaultCurrencyIsoCode FROM
Organization`). It names every prerequisite that is missing:

- an object the integration user can't query (`object_not_queryable`);
- a mapped field absent from the describe (`missing_field`): the org never created it,
  or field-level security hides it from the integration user (both look the same);
- a custom field the contract can't do without, switched off in SALESFORCE_CUSTOM_FIELDS
  (`required_field_off`);
- an org currency Ledgerline can't bill in (`unknown_currency`).

Multi-currency is a feature, not a prerequisite: without it Salesforce has no
CurrencyIsoCode field, and every record is in the org's default currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import DomainValidationError
from core.money import validate_currency

from ..client import SalesforceClient
from .mapping import (
    CURRENCY_FIELD,
    OBJECT_MAPS,
    REQUIRED_CUSTOM_FIELDS,
    custom_fields,
)


@dataclass(frozen=True)
class OrgProfile:
    multi_currency: bool
    default_currency: str
    fields: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def multi_currency_org(cls) -> OrgProfile:
        """What the sync assumed before it asked (tests of the SOQL alone)."""
        return cls(multi_currency=True, default_currency="")


@dataclass(frozen=True)
class Finding:
    sf_object: str
    field: str
    code: str
    message: str


@dataclass
class Preflight:
    org: OrgProfile
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        if self.ok:
            currency = (
                "multi-currency"
                if self.org.multi_currency
                else f"single currency {self.org.default_currency}"
            )
            return f"Salesforce org ready: every mapped field is there ({currency})."
        missing = ", ".join(
            f"{f.sf_object}.{f.field}" if f.field else f.sf_object for f in self.findings
        )
        return f"Salesforce org setup incomplete, nothing was read. Missing: {missing}."


def run_preflight(client: SalesforceClient) -> Preflight:
    """Describe the objects and name every missing prerequisite (read-only, 6 calls)."""
    roles = custom_fields()
    findings: list[Finding] = []
    present: dict[str, frozenset[str]] = {}
    for role in sorted(REQUIRED_CUSTOM_FIELDS):
        if not roles[role]:
            findings.append(
                Finding(
                    "",
                    role,
                    "required_field_off",
                    f"SALESFORCE_CUSTOM_FIELDS['{role}'] is empty, but a contract can't be "
                    "drafted without it: name the org's field.",
                )
            )
    for sf_object, spec in OBJECT_MAPS.items():
        describe = client.describe(sf_object)
        names = frozenset(f["name"] for f in describe.get("fields", []))
        present[sf_object] = names
        if not describe.get("queryable", True):
            findings.append(
                Finding(
                    sf_object,
                    "",
                    "object_not_queryable",
                    f"The integration user can't query {sf_object}: give its profile or a "
                    "permission set Read on it.",
                )
            )
        wanted = {name: fmap.custom for fmap, name in spec.api_fields()}
        wanted.update({roles[role]: role for role in spec.extra_fields if roles[role]})
        for name, role in wanted.items():
            if name == CURRENCY_FIELD or "." in name:
                continue  # multi-currency is optional; Owner.Name is on every object
            if name not in names:
                hint = f" (SALESFORCE_CUSTOM_FIELDS['{role}'])" if role else ""
                findings.append(
                    Finding(
                        sf_object,
                        name,
                        "missing_field",
                        f"{sf_object}.{name}{hint} is missing, or hidden from the integration "
                        "user by field-level security.",
                    )
                )
    multi_currency = CURRENCY_FIELD in present.get("Opportunity", frozenset())
    default_currency = client.org_default_currency()
    try:
        validate_currency(default_currency or "", field="DefaultCurrencyIsoCode")
    except DomainValidationError:
        findings.append(
            Finding(
                "Organization",
                "DefaultCurrencyIsoCode",
                "unknown_currency",
                f"The org's currency {default_currency!r} is not one Ledgerline bills in.",
            )
        )
    org = OrgProfile(multi_currency, default_currency or "", present)
    return Preflight(org, findings)


def check_salesforce_org() -> Preflight:
    """The preflight alone, against the configured org (the command's --check)."""
    client = SalesforceClient()
    try:
        return run_preflight(client)
    finally:
        client.close()
