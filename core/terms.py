"""Payment terms and due dates (research/accounting-conventions.md section 4).

Terms are stored as a short code so that any Net N is possible:

    NET30      due = invoice date + 30 calendar days
    NET30EOM   due = last day of the invoice month + 30 days ("Net 30 EOM")
    EOM        due = last day of the invoice month (NET0EOM)
    1MEOM      due = last_day(add_months(invoice date, 1)) (current ERPNext rule)
    DUE        due on receipt (NET0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.dates import add_months, month_end
from core.error_codes import CoreError
from core.errors import DomainValidationError

_PATTERN = re.compile(r"^(?:NET(?P<net>\d{1,3})(?P<eom>EOM)?|(?P<months>\d{1,2})MEOM|EOM|DUE)$")
MAX_NET_DAYS = 365

COMMON_TERMS = [
    ("DUE", "Due on receipt"),
    ("NET15", "Net 15"),
    ("NET30", "Net 30"),
    ("NET45", "Net 45"),
    ("NET60", "Net 60"),
    ("NET90", "Net 90"),
    ("EOM", "EOM"),
    ("NET10EOM", "Net 10 EOM"),
    ("NET30EOM", "Net 30 EOM"),
    ("1MEOM", "1 month after EOM"),
]


@dataclass(frozen=True)
class PaymentTerms:
    code: str
    net_days: int = 0
    end_of_month: bool = False
    months_after_eom: int = 0

    @classmethod
    def parse(cls, code: str, *, field: str = "payment_terms") -> PaymentTerms:
        normalized = (code or "").strip().upper().replace(" ", "")
        match = _PATTERN.match(normalized)
        if not match:
            raise DomainValidationError(
                field=field,
                code=CoreError.INVALID_PAYMENT_TERMS,
                message=(
                    f"{code!r} is not a payment term. Use NET<days>, NET<days>EOM, EOM, "
                    "<months>MEOM or DUE, for example NET30 or NET30EOM."
                ),
            )
        if normalized == "DUE":
            return cls(code="DUE")
        if normalized == "EOM":
            return cls(code="EOM", end_of_month=True)
        if match.group("months"):
            months = int(match.group("months"))
            return cls(code=normalized, end_of_month=True, months_after_eom=months)
        net_days = int(match.group("net"))
        if net_days > MAX_NET_DAYS:
            raise DomainValidationError(
                field=field,
                code=CoreError.PAYMENT_TERMS_TOO_LONG,
                message=f"Net {net_days} exceeds the {MAX_NET_DAYS}-day maximum.",
            )
        return cls(code=normalized, net_days=net_days, end_of_month=bool(match.group("eom")))

    @property
    def label(self) -> str:
        if self.code == "DUE":
            return "Due on receipt"
        if self.months_after_eom:
            unit = "month" if self.months_after_eom == 1 else "months"
            return f"{self.months_after_eom} {unit} after EOM"
        if self.end_of_month:
            return f"Net {self.net_days} EOM" if self.net_days else "EOM"
        return f"Net {self.net_days}"

    @property
    def max_days(self) -> int:
        """Longest possible wait, for policies such as "longer than Net 45"."""
        if self.months_after_eom:
            return 31 * (self.months_after_eom + 1)
        return self.net_days + (31 if self.end_of_month else 0)

    def due_date(self, invoice_date: date) -> date:
        if self.months_after_eom:
            return month_end(add_months(invoice_date, self.months_after_eom))
        start = month_end(invoice_date) if self.end_of_month else invoice_date
        return start + timedelta(days=self.net_days)
