"""Bounds on what a user may type: dates, lengths, amounts and country codes.

The services call these before they write, so the API, the admin and the pages refuse
the same input with the same `DomainValidationError`, and nothing reaches a column it
does not fit. The limits are settings (`LEDGERLINE_*`, see settings.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pycountry
from django.conf import settings
from django.db import models
from django.utils import timezone

from core.error_codes import CoreError
from core.errors import DomainValidationError


def date_floor() -> date:
    return date.fromisoformat(settings.LEDGERLINE_DATE_FLOOR)


def max_contract_value() -> Decimal:
    return Decimal(settings.LEDGERLINE_MAX_CONTRACT_VALUE)


def _label(field: str) -> str:
    return field.rsplit(".", 1)[-1].replace("_", " ")


def text_length_errors(
    model: type[models.Model], values: dict[str, str | None], *, prefix: str = ""
) -> list[DomainValidationError]:
    """Each text longer than its column, named by the input's field."""
    errors = []
    for name, value in values.items():
        limit = model._meta.get_field(name).max_length
        if value is not None and limit is not None and len(value) > limit:
            errors.append(
                DomainValidationError(
                    field=f"{prefix}{name}",
                    code=CoreError.MAX_LENGTH,
                    message=f"The {_label(name)} has {len(value)} characters; at most {limit}.",
                )
            )
    return errors


def check_text_lengths(model: type[models.Model], **values: str | None) -> None:
    errors = text_length_errors(model, values)
    if errors:
        raise errors[0]


def check_past_date(day: date, *, field: str, what: str) -> None:
    """A day that has already happened (received, refunded): not after today, not
    before the floor."""
    if day > timezone.localdate():
        raise DomainValidationError(
            field=field,
            code=CoreError.IN_THE_FUTURE,
            message=f"The {what} {day} is after today.",
        )
    if day < date_floor():
        raise DomainValidationError(
            field=field,
            code=CoreError.BEFORE_FLOOR,
            message=f"The {what} {day} is before {date_floor()}, the earliest date accepted.",
        )


def check_document_date(day: date, *, field: str, what: str, last_issued: date | None) -> None:
    """Invoice and credit note dates: near today, and never before the last document of
    the same series, so that numbers run in date order."""
    today = timezone.localdate()
    earliest = today - timedelta(days=settings.LEDGERLINE_DOCUMENT_DATE_PAST_DAYS)
    latest = today + timedelta(days=settings.LEDGERLINE_DOCUMENT_DATE_FUTURE_DAYS)
    if not earliest <= day <= latest:
        raise DomainValidationError(
            field=field,
            code=CoreError.OUT_OF_WINDOW,
            message=f"The {what} {day} must be between {earliest} and {latest}.",
        )
    if last_issued is not None and day < last_issued:
        raise DomainValidationError(
            field=field,
            code=CoreError.BEFORE_LAST_ISSUED,
            message=(
                f"The {what} {day} is before {last_issued}, the date of the last one issued "
                "in the same number series; numbers must follow the dates."
            ),
        )


def contract_date_errors(start: date | None, end: date | None) -> list[DomainValidationError]:
    if start is None or end is None:
        return []
    errors = []
    latest_start = date(
        min(timezone.localdate().year + settings.LEDGERLINE_CONTRACT_MAX_YEARS_AHEAD, 9000), 12, 31
    )
    if start < date_floor():
        errors.append(
            DomainValidationError(
                field="start_date",
                code=CoreError.BEFORE_FLOOR,
                message=f"The start date {start} is before {date_floor()}, the earliest accepted.",
            )
        )
    elif start > latest_start:
        errors.append(
            DomainValidationError(
                field="start_date",
                code=CoreError.TOO_FAR_AHEAD,
                message=f"The start date {start} is after {latest_start}, the latest accepted.",
            )
        )
    max_years = settings.LEDGERLINE_CONTRACT_MAX_TERM_YEARS
    if not errors and end >= start and end > _add_years(start, max_years):
        errors.append(
            DomainValidationError(
                field="end_date",
                code=CoreError.TERM_TOO_LONG,
                message=f"The term from {start} to {end} is longer than {max_years} years.",
            )
        )
    return errors


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_years(start: date, end: date) -> int:
    """Whole billing years a term touches (a price is per year for subscriptions)."""
    return max(1, -(-((end - start).days + 1) // 365))


def check_contract_value(value: Decimal, *, field: str) -> None:
    ceiling = max_contract_value()
    if value > ceiling:
        raise DomainValidationError(
            field=field,
            code=CoreError.AMOUNT_TOO_LARGE,
            message=(
                f"Quantity × unit price over the term comes to {value:,.0f}; "
                f"a contract may total at most {ceiling:,.0f}."
            ),
        )


def country_error(code: str | None, *, field: str) -> DomainValidationError | None:
    if not code:
        return None
    if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
        return DomainValidationError(
            field=field,
            code=CoreError.UNKNOWN_COUNTRY,
            message=f"{code!r} is not an ISO 3166 two-letter country code.",
        )
    return None
