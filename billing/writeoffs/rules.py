"""The two-person rule, defined once for write-offs, refunds and credit notes.

A threshold per currency (a setting: ``{"*": "500.00", "JPY": "75000"}``; a currency
missing with no ``"*"`` means no approval is ever needed) decides whether a request
waits; the approver is always someone other than the requester."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from billing.error_codes import BillingError
from core.errors import DomainValidationError


def threshold(setting: dict, currency: str) -> Decimal | None:
    """The amount above which a second person approves, or None: no rule."""
    raw = setting.get(currency, setting.get("*"))
    return None if raw in (None, "") else Decimal(str(raw))


def needs_second_person(setting_name: str, amount: Decimal, currency: str) -> bool:
    limit = threshold(getattr(settings, setting_name, {}) or {}, currency)
    return limit is not None and amount > limit


def check_second_person(*, requested_by_id: int | None, actor, what: str) -> None:
    """`what` says in the user's words what is approved ("A write-off")."""
    if requested_by_id is not None and requested_by_id == getattr(actor, "pk", None):
        raise DomainValidationError(
            field="approver",
            code=BillingError.SAME_PERSON,
            message=f"{what} is approved by someone other than the person who asked.",
        )
