"""The DSO page."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.permissions import require

from ..reports import access
from ..reports.charts import line_chart
from ..reports.dso import DsoMethod, dso_with_trend
from ..reports.forms import DsoForm
from .common import CSS, _subnav, amount_text

# --- DSO ---------------------------------------------------------------------------------


def _days_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.01'))}"


@require_GET
@require(access.DSO_VIEW_PERMISSION)
def dso(request):
    form = DsoForm(request.GET)
    params = form.to_params()
    context = {"form": form, "subnav": _subnav(request, "dso"), "css": CSS, "result": None}
    if params is None:
        return render(request, "collections/reports/dso.html", context, status=400)
    result, trend = dso_with_trend(params)  # one reading of the book for both
    currency = result.currency
    method_label = dict(DsoMethod.CHOICES)[params.method]
    context.update(
        {
            "params": params,
            "result": result,
            "method_label": method_label,
            "figures": {
                "dso": _days_text(result.dso),
                "simple": _days_text(result.simple),
                "countback": _days_text(result.countback.dso if result.countback else None),
                "ending_ar": amount_text(result.ending_ar, currency),
                "gross_ar": amount_text(result.gross_ar, currency),
                "credits": amount_text(result.unapplied_credits, currency),
                "sales": amount_text(result.credit_sales, currency),
            },
            "steps": [
                {
                    "month": step.month,
                    "sales": amount_text(step.sales, currency),
                    "ar_before": amount_text(step.ar_before, currency),
                    "days": f"{step.days_counted.quantize(Decimal('0.01'))}",
                    "full": step.full_month,
                }
                for step in (result.countback.steps if result.countback else [])
            ],
            "trend_chart": line_chart(
                f"{method_label} DSO at each month end, last {len(trend)} months",
                [
                    (point.month.strftime("%b %y"), point.dso, _days_text(point.dso))
                    for point in trend
                ],
            ),
            "trend": trend,
        }
    )
    return render(request, "collections/reports/dso.html", context)
