"""GET /collections/accounts/<id>/statement/?start=&end=&currency=&format=pdf|csv"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from collections_app.statements.render import statement_csv, statement_pdf_bytes
from collections_app.statements.selectors import statement_of_account
from core.errors import DomainValidationError
from ordermgmt.models import Account


def _day(value: str | None, default: date) -> date:
    return date.fromisoformat(value) if value else default


@login_required
@permission_required(["billing.view_invoice", "billing.view_payment"], raise_exception=True)
def statement_download(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    today = timezone.localdate()
    try:
        end = _day(request.GET.get("end"), today)
        start = _day(request.GET.get("start"), end.replace(day=1))
        statement = statement_of_account(
            account=account, start=start, end=end, currency=request.GET.get("currency") or None
        )
    except ValueError:
        return HttpResponseBadRequest("Dates are YYYY-MM-DD.")
    except DomainValidationError as err:
        return HttpResponseBadRequest(err.message)
    name = f"statement-{account.pk}-{statement.currency}-{start}-{end}"
    if request.GET.get("format") == "csv":
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    response = HttpResponse(statement_pdf_bytes(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response
