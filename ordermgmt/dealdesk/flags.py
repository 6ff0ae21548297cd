"""A flag: one non-standard term, its reason in words and figures, and what it asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ordermgmt.models import RuleType

if TYPE_CHECKING:
    from ordermgmt.models import DealDeskRule

    from .valuation import LineFacts


@dataclass(frozen=True)
class Flag:
    rule_id: int | None
    rule_type: str
    severity: str
    reason: str
    consequence: str = ""
    line_number: int | None = None
    figures: dict = field(default_factory=dict)
    required_approvals: int = 1
    sla_hours: int | None = None

    @property
    def rule_type_label(self) -> str:
        return RuleType(self.rule_type).label

    @property
    def signature(self) -> tuple:
        """Same signature = same finding with the same figures (a re-review is not needed)."""
        return (self.rule_type, self.line_number, self.reason)


def percent(value: Decimal) -> str:
    """35 -> "35", 33.3333 -> "33.33"."""
    text = f"{Decimal(value).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def years_label(value: Decimal) -> str:
    text = percent(value)
    return f"{text} year" if text == "1" else f"{text} years"


def make_flag(
    rule: DealDeskRule,
    reason: str,
    consequence: str = "",
    *,
    line: LineFacts | None = None,
    **figures,
) -> Flag:
    return Flag(
        rule_id=rule.pk,
        rule_type=rule.rule_type,
        severity=rule.severity,
        reason=reason,
        consequence=consequence,
        line_number=line.number if line else None,
        figures={k: str(v) for k, v in figures.items()},
        required_approvals=rule.required_approvals,
        sla_hours=rule.sla_hours,
    )


def line_name(line: LineFacts) -> str:
    return f"Line {line.number} ({line.sku})"
