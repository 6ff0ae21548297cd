"""Party data on invoices: VAT and company ids, bank details, Peppol ids and postal
addresses, checked with python-stdnum (check digits and formats per country).

Each `clean_*` returns the compact form to store, or raises `DomainValidationError`
naming the field. `parse_address` splits yesterday's free-text addresses into fields;
what it cannot place it says so, and never guesses a country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pycountry
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.util import get_cc_module

from core.error_codes import CoreError
from core.errors import DomainValidationError

# The EU member states (VAT area), ISO 3166 alpha-2; Greece's VAT ids start "EL".
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)

# Company registration ids python-stdnum checks, per country (others: format only).
COMPANY_ID_MODULES = {"US": "ein", "FR": "siren", "DE": "handelsregisternummer", "JP": "cn"}

# Peppol participant identifier schemes (ISO 6523 ICD) we accept, e.g. "0088:...".
PEPPOL_ID = re.compile(r"^(?P<scheme>\d{4}):(?P<value>[A-Za-z0-9.\-_]{1,50})$")


def _vat_module(country: str):
    code = "gr" if country == "GR" else country.lower()
    return get_cc_module(code, "vat")


def clean_vat_id(value: str, *, country: str, field: str, label: str = "VAT number") -> str:
    """A VAT id with its country prefix (DE136695976), checked for the country."""
    value = (value or "").strip()
    if not value:
        return ""
    module = _vat_module(country) if country else None
    if module is None:
        raise DomainValidationError(
            field=field,
            code=CoreError.INVALID_VAT_ID,
            message=f"The {label} cannot be checked: no VAT numbers are known for country "
            f"{country or '(none)'}; leave it empty and use the company id.",
        )
    prefix = "EL" if country == "GR" else country
    compact = module.compact(value)
    try:
        module.validate(compact)
    except StdnumError as error:
        raise DomainValidationError(
            field=field,
            code=CoreError.INVALID_VAT_ID,
            message=f"{value!r} is not a valid {label} for {country}: {error}.",
        ) from error
    uses_prefix = country in EU_COUNTRIES or country == "GB"
    if uses_prefix and not compact.upper().startswith(prefix):
        compact = prefix + compact
    return compact.upper()


def clean_company_id(value: str, *, country: str, field: str) -> str:
    """A legal registration id; checked where python-stdnum knows the country's."""
    value = (value or "").strip()
    if not value or country not in COMPANY_ID_MODULES:
        return value
    module = get_cc_module(country.lower(), COMPANY_ID_MODULES[country])
    try:
        return module.format(module.validate(value)) if country == "US" else module.validate(value)
    except StdnumError as error:
        raise DomainValidationError(
            field=field,
            code=CoreError.INVALID_COMPANY_ID,
            message=f"{value!r} is not a valid company id for {country}: {error}.",
        ) from error


def clean_iban(value: str, *, field: str = "iban") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return stdnum_iban.validate(value)
    except StdnumError as error:
        raise DomainValidationError(
            field=field, code=CoreError.INVALID_IBAN, message=f"{value!r} is not a valid IBAN."
        ) from error


def clean_bic(value: str, *, field: str = "bic") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return stdnum_bic.validate(value)
    except StdnumError as error:
        raise DomainValidationError(
            field=field,
            code=CoreError.INVALID_BIC,
            message=f"{value!r} is not a valid BIC (SWIFT code).",
        ) from error


def clean_peppol_id(value: str, *, field: str = "peppol_endpoint_id") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not PEPPOL_ID.match(value):
        raise DomainValidationError(
            field=field,
            code=CoreError.INVALID_PEPPOL_ID,
            message=f"{value!r} is not a Peppol endpoint id: write scheme:id, "
            "e.g. 0088:4035811991014 or 9930:DE136695976.",
        )
    return value


def split_peppol_id(value: str) -> tuple[str, str]:
    match = PEPPOL_ID.match(value or "")
    return (match["scheme"], match["value"]) if match else ("", "")


# --- free-text addresses -----------------------------------------------------------------

COUNTRY_ALIASES = {
    "USA": "US",
    "U.S.A.": "US",
    "U.S.": "US",
    "UNITED STATES OF AMERICA": "US",
    "UK": "GB",
    "U.K.": "GB",
    "ENGLAND": "GB",
    "GREAT BRITAIN": "GB",
    "DEUTSCHLAND": "DE",
    "GERMANY": "DE",
    "NEDERLAND": "NL",
    "ÖSTERREICH": "AT",
    "OESTERREICH": "AT",
    "ESPAÑA": "ES",
    "ITALIA": "IT",
    "BELGIË": "BE",
    "BELGIQUE": "BE",
    "SCHWEIZ": "CH",
    "SUISSE": "CH",
}

US_CITY_LINE = re.compile(
    r"^(?P<city>[^,]+),\s*(?P<region>[A-Z]{2})\s+(?P<postal>\d{5}(?:-\d{4})?)$"
)
GB_POSTCODE = re.compile(r"(?P<postal>[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})$")
EU_CITY_LINE = re.compile(r"^(?:[A-Z]{1,2}-)?(?P<postal>\d{4,5}(?:\s?[A-Z]{2})?)\s+(?P<city>.+)$")
JP_CITY_LINE = re.compile(r"^(?P<city>.+?)\s+(?P<postal>\d{3}-\d{4})$")


def country_from_text(text: str) -> str:
    """ISO alpha-2 for a country written as code or English name; "" if unknown."""
    cleaned = text.strip().rstrip(".").strip()
    upper = cleaned.upper()
    if upper in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[upper]
    if len(upper) == 2 and pycountry.countries.get(alpha_2=upper):
        return upper
    if len(upper) == 3 and pycountry.countries.get(alpha_3=upper):
        return pycountry.countries.get(alpha_3=upper).alpha_2
    try:
        return pycountry.countries.lookup(cleaned).alpha_2
    except LookupError:
        return ""


@dataclass
class ParsedAddress:
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems


def parse_address(text: str) -> ParsedAddress:
    """Street lines, then "postcode city" (or "City, ST 12345", "City POSTCODE"), then
    the country on the last line. Lines it cannot place are reported, not dropped:
    the caller keeps the original text anyway."""
    parsed = ParsedAddress()
    lines = [line.strip() for line in (text or "").replace("\r", "").split("\n") if line.strip()]
    if len(lines) == 1 and "," in lines[0]:
        lines = [part.strip() for part in lines[0].split(",") if part.strip()]
    if not lines:
        parsed.problems.append("no address")
        return parsed
    parsed.country = country_from_text(lines[-1])
    if parsed.country:
        lines = lines[:-1]
    else:
        parsed.problems.append(f"no country on the last line ({lines[-1]!r})")
    if not lines:
        parsed.problems.append("no street or city")
        return parsed
    city_line = lines[-1]
    for pattern in (US_CITY_LINE, EU_CITY_LINE, JP_CITY_LINE):
        match = pattern.match(city_line)
        if match:
            groups = match.groupdict()
            parsed.city = groups["city"].strip()
            parsed.postal_code = groups["postal"].strip()
            parsed.region = (groups.get("region") or "").strip()
            break
    else:
        match = GB_POSTCODE.search(city_line)
        if match and city_line[: match.start()].strip():
            parsed.city = city_line[: match.start()].strip().rstrip(",")
            parsed.postal_code = match["postal"]
        elif match and len(lines) >= 2:
            parsed.postal_code = match["postal"]
            lines = lines[:-1]
            parsed.city = lines[-1]
        else:
            parsed.problems.append(f"no postal code and city in {city_line!r}")
            return parsed
    street = lines[:-1]
    if not street:
        parsed.problems.append("no street line")
    parsed.line1 = street[0] if street else ""
    parsed.line2 = ", ".join(street[1:])
    return parsed


IBAN_IN_TEXT = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?)\b")
BIC_IN_TEXT = re.compile(r"\b(?:BIC|SWIFT)[:\s]*([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b")


def ids_from_text(tax_id: str, *, country: str) -> tuple[dict[str, str], list[str]]:
    """A free-text tax id as a VAT number or company id, where it checks out."""
    text = (tax_id or "").strip()
    if not text:
        return {}, []
    if country:
        try:
            return {"vat_id": clean_vat_id(text, country=country, field="vat_id")}, []
        except DomainValidationError:
            pass
        if country in COMPANY_ID_MODULES:
            candidate = re.sub(rf"^{country}\s*", "", text)
            try:
                return {
                    "company_id": clean_company_id(candidate, country=country, field="company_id")
                }, []
            except DomainValidationError:
                pass
    return {}, [f"tax id {text!r} is neither a valid VAT number nor company id for {country}"]


def bank_from_text(text: str) -> tuple[dict[str, str], list[str]]:
    """IBAN and BIC found in free-text remittance details, if they check out."""
    found: dict[str, str] = {}
    problems: list[str] = []
    upper = (text or "").upper()
    for candidate in IBAN_IN_TEXT.findall(upper):
        try:
            found["iban"] = clean_iban(candidate)
            break
        except DomainValidationError:
            continue
    match = BIC_IN_TEXT.search(upper)
    if match:
        try:
            found["bic"] = clean_bic(match[1])
        except DomainValidationError:
            problems.append(f"BIC {match[1]!r} is not valid")
    if "iban" not in found:
        problems.append("no valid IBAN in the remittance details")
    return found, problems


def seller_fields_from_text(
    *, address: str, tax_id: str, remit_to: str
) -> tuple[dict[str, str], list[str]]:
    """The structured fields a legal entity's free text yields, and what it could not."""
    parsed = parse_address(address)
    fields = {
        "address_line1": parsed.line1,
        "address_line2": parsed.line2,
        "city": parsed.city,
        "region": parsed.region,
        "postal_code": parsed.postal_code,
        "country": parsed.country,
    }
    problems = [f"address: {problem}" for problem in parsed.problems]
    ids, id_problems = ids_from_text(tax_id, country=parsed.country)
    bank, bank_problems = bank_from_text(remit_to)
    fields.update(ids)
    fields.update(bank)
    return {k: v for k, v in fields.items() if v}, problems + id_problems + bank_problems
