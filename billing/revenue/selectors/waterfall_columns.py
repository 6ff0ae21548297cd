"""The waterfall's columns on PostgreSQL from the maintained totals (models_totals.py):
the column totals from the currency months, a page's rows from their contract months;
and the column sums of a date field, which the SQLite path applies to the lines."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, Sum

from core.dates import month_end

from ..models import ScheduledRevenueMonth
from .balances import ZERO
from .positions_sql import scheduled_by_month


def column_totals(as_of, currency, start, columns, shown_rows) -> dict:
    """The column totals of the rows shown: every contract's months known on the date
    (maintained per currency and month), less the before and after of nil rows not shown."""
    sums = dict.fromkeys(["before", *[f"m{i}" for i in range(len(columns))], "after"], ZERO)
    if not shown_rows.count:
        return sums
    index = {month: i for i, month in enumerate(columns)}
    for month, amount in scheduled_by_month(as_of, currency).items():
        if month < start:
            sums["before"] += amount
        elif month in index:
            sums[f"m{index[month]}"] += amount
        else:
            sums["after"] += amount
    sums["before"] -= shown_rows.hidden_before
    sums["after"] -= shown_rows.hidden_after
    return sums


def waterfall_groups(as_of, currency, start, columns, keys) -> list[dict]:
    """The columns of the page's (contract, product) rows from their maintained months."""
    if not keys:
        return []
    found = {
        (g["contract_id"], g["product_id"]): g
        for g in ScheduledRevenueMonth.objects.filter(
            known_from__lte=as_of, currency=currency, contract_id__in={k[0] for k in keys}
        )
        .values("contract_id", "product_id")
        .annotate(**bucket_sums("month", start, columns))
        .order_by()
    }
    return [found[key] for key in keys]


def bucket_sums(field: str, start: date, columns: list[date]) -> dict:
    """The waterfall's columns summed from a date field: before `start`, each month of
    `columns`, after the last, and the total."""
    sums = {"before": Sum("amount", filter=Q(**{f"{field}__lt": start}), default=ZERO)}
    for i, month in enumerate(columns):
        within = {f"{field}__gte": month, f"{field}__lte": month_end(month)}
        sums[f"m{i}"] = Sum("amount", filter=Q(**within), default=ZERO)
    after = {f"{field}__gt": month_end(columns[-1])}
    sums["after"] = Sum("amount", filter=Q(**after), default=ZERO)
    sums["total"] = Sum("amount")
    return sums
