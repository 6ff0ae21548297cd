"""Display helpers for the deal desk pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone

from core.money import format_money
from ordermgmt.dealdesk.flags import percent

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """{{ amount|money:currency }} -> $1,234.50, ¥1,235."""
    if amount is None or amount == "":
        return "—"
    return format_money(Decimal(amount), currency)


@register.filter
def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{percent(Decimal(value))}%"


@register.filter
def duration(delta: timedelta | None) -> str:
    """A review's age or lateness: 3 d 4 h, 5 h, 20 min."""
    if delta is None:
        return "—"
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


@register.filter
def since(moment: datetime | None) -> timedelta | None:
    return None if moment is None else timezone.now() - moment


@register.filter
def number(value: Decimal | None) -> str:
    """Quantities and years without trailing zeros: 10, 2.5, 0.08."""
    return "—" if value is None else percent(Decimal(value))
