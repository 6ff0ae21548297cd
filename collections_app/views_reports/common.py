"""What the AR report pages share: amounts and the sub-navigation."""

from __future__ import annotations

import logging
from decimal import Decimal

from core.money import minor_unit

from ..reports import access

logger = logging.getLogger(__name__)


ROWS_PER_CURRENCY = 200  # on the page; exports hold every row


CSS = "ledgerline/ar-reports.css"


def amount_text(value: Decimal | None, currency: str, *, blank_zero: bool = False) -> str:
    """1234.5 USD -> "1,234.50"; the currency's own decimals, no symbol (tables say it)."""
    if value is None:
        return "—"
    if blank_zero and value == 0:
        return "–"
    places = minor_unit(currency)
    return f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"


def _subnav(request, active: str) -> list[dict]:
    user = request.user
    items = [
        (
            "aging",
            "AR aging",
            "ar_reports:aging",
            all(map(user.has_perm, access.AGING_VIEW_PERMISSIONS)),
        )
    ]
    items.append(("dso", "DSO", "ar_reports:dso", user.has_perm(access.DSO_VIEW_PERMISSION)))
    items.append(
        ("import", "Import open AR", "ar_reports:import", user.has_perm(access.IMPORT_PERMISSION))
    )
    return [
        {"key": key, "label": label, "url": url, "active": key == active}
        for key, label, url, allowed in items
        if allowed
    ]
