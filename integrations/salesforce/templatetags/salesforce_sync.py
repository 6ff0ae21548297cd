from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def sync_value(value: Any) -> str:
    """A last-synced / local / Salesforce value as a person reads it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if not value:
            return "none"
        return "; ".join(sync_value(item) for item in value)
    if isinstance(value, dict):
        if {"product_id", "quantity", "unit_price"} <= value.keys():
            discount = value.get("discount_percent", "0")
            text = f"{value['quantity']} × product #{value['product_id']} at {value['unit_price']}"
            if discount not in ("0", 0):
                text += f" less {discount}%"
            if value.get("ramp_steps"):
                text += f" ({value['ramp_steps']} ramp steps)"
            return text
        if {"billing_date", "percent"} <= value.keys():
            return f"{value['percent']}% on {value['billing_date']}"
        return ", ".join(f"{k}: {sync_value(v)}" for k, v in value.items())
    return str(value)


@register.filter
def run_summary(run) -> str:
    """Each count of a run with the records it counts (selectors.run_summary)."""
    from ..selectors import run_summary as summary

    return summary(run)
