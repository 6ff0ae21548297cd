"""GET /collections/accounts/<id>/statement/?start=&end=&currency=&format=pdf|csv, and
POST .../statement/email/ to e-mail it to the billing contacts."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from collections_app.statements.render import statement_csv, statement_pdf_bytes
from collections_app.statements.selectors import statement_of_account
from collections_app.statements.services import email_statement
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


@login_required
@permission_required(
    ["billing.view_invoice", "billing.view_payment", "collections_app.add_collectionactivity"],
    raise_exception=True,
)
@require_POST
def statement_email(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    today = timezone.localdate()
    try:
        end = _day(request.POST.get("end"), today)
        start = _day(request.POST.get("start"), end.replace(day=1))
        delivery = email_statement(
            account=account, start=start, end=end, actor=request.user,
            currency=request.POST.get("currency") or None,
        )  # fmt: skip
    except ValueError:
        messages.error(request, "Dates are YYYY-MM-DD.")
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request, f"Statement {start} to {end} e-mailed to {', '.join(delivery.recipients)}."
        )
    return redirect("collections:account", account.pk)
