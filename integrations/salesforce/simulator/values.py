"""Field values: Salesforce ids, input coercion and the JSON wire format."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .metadata import STRING_TYPES, FieldDef

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[0-9A-Za-z]{15}([0-9A-Za-z]{3})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Salesforce requires an explicit offset on datetimes: 'Z', +hh:mm or +hhmm.
_DATETIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})$"
)


class StoreError(Exception):
    """A Salesforce API error: errorCode, message and HTTP status."""

    def __init__(
        self, code: str, message: str, status: int = 400, fields: list[str] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields or []

    def as_body(self) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            body["fields"] = self.fields
        return [body]


# --- ids ---------------------------------------------------------------------------


def base62(number: int, width: int) -> str:
    chars = []
    while number:
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars)).rjust(width, "0")


def id_suffix(id15: str) -> str:
    """The 3-character case-safe suffix Salesforce appends to a 15-character id."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for pos, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << pos
        suffix += _SUFFIX_CHARS[bits]
    return suffix


def make_id(prefix: str, counter: int) -> str:
    # prefix + pod "5g" + reserved "0" + 9 base62 digits: the shape of a real org's ids.
    id15 = f"{prefix}5g0{base62(counter, 9)}"
    return id15 + id_suffix(id15)


def normalize_id(value: str) -> str | None:
    """18-character form of a 15- or 18-character id; None if it isn't an id."""
    if not _ID_RE.match(value):
        return None
    return value if len(value) == 18 else value + id_suffix(value)


# --- dates -------------------------------------------------------------------------


def parse_datetime(text: str) -> datetime | None:
    """A tz-aware UTC datetime from ISO text with an offset; None when naive/invalid."""
    match = _DATETIME_RE.match(text)
    if not match:
        return None
    offset = match.group(6)
    if offset != "Z" and ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    frac = match.group(5) or ""
    iso = f"{match.group(1)}T{match.group(2)}:{match.group(3)}:{match.group(4)}{frac}"
    try:
        parsed = datetime.fromisoformat(iso + ("+00:00" if offset == "Z" else offset))
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def parse_date(text: str) -> date | None:
    if not _DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def format_datetime(value: datetime) -> str:
    """Salesforce's wire form: 2026-01-31T10:00:00.000+0000."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def floor_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def floor_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


ONE_MS = timedelta(milliseconds=1)


# --- coercion ----------------------------------------------------------------------


def _type_error(fdef: FieldDef, value: Any) -> StoreError:
    return StoreError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize value {value!r} for field {fdef.name} of type {fdef.type}",
        fields=[fdef.name],
    )


def coerce(fdef: FieldDef, value: Any) -> Any:
    """Turn JSON/Python input into the stored Python value for one field."""
    if value is None or (value == "" and fdef.type != "boolean"):
        return None
    kind = fdef.type
    if kind in STRING_TYPES:
        if not isinstance(value, str):
            raise _type_error(fdef, value)
        if kind in ("id", "reference"):
            normalized = normalize_id(value)
            if normalized is None:
                raise StoreError(
                    "MALFORMED_ID",
                    f"{fdef.label}: id value of incorrect type: {value}",
                    fields=[fdef.name],
                )
            return normalized
        if fdef.length and len(value) > fdef.length:
            raise StoreError(
                "STRING_TOO_LONG", f"{fdef.label}: data value too large", fields=[fdef.name]
            )
        if fdef.restricted and value not in fdef.picklist:
            raise StoreError(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{fdef.label}: bad value for restricted picklist field: {value}",
                fields=[fdef.name],
            )
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(fdef, value)
        return value
    if kind in ("currency", "double", "percent", "int"):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
            raise _type_error(fdef, value)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _type_error(fdef, value) from None
        if not number.is_finite():
            raise _type_error(fdef, value)
        if kind == "int":
            return int(number)
        return number.quantize(Decimal(1).scaleb(-fdef.scale), rounding=ROUND_HALF_UP)
    if kind == "date":
        if isinstance(value, datetime):
            raise _type_error(fdef, value)
        if isinstance(value, date):
            return value
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise _type_error(fdef, value)
        return parsed
    if kind == "datetime":
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise _type_error(fdef, value)
            return value.astimezone(UTC)
        parsed_dt = parse_datetime(value) if isinstance(value, str) else None
        if parsed_dt is None:
            raise _type_error(fdef, value)
        return parsed_dt
    raise _type_error(fdef, value)


def to_wire(value: Any, kind: str) -> Any:
    """Stored value -> JSON value, as the REST API renders it."""
    if value is None:
        return None
    if kind == "datetime":
        return format_datetime(value)
    if kind == "date":
        return value.isoformat()
    if isinstance(value, Decimal):
        # Salesforce sends numbers as JSON doubles (12000.0). Up to 15 significant digits
        # a float's repr gives back the same decimal text, so a client parsing with
        # parse_float=Decimal sees the exact stored amount.
        return float(value)
    return value
