"""The open-AR import page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.errors import DomainValidationError
from core.permissions import require

from ..reports import access
from ..reports.ar_import import REQUIRED_COLUMNS, OpenArImportRejected, import_open_ar
from ..reports.forms import OpenArImportForm
from .common import CSS, _subnav, amount_text

# --- Import ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require(access.IMPORT_PERMISSION)
def import_open_ar_page(request):
    errors = []
    result = None
    status = 200
    if request.method == "POST":
        form = OpenArImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = import_open_ar(
                    content=form.cleaned_data["file"].read(),
                    cutover_date=form.cleaned_data["cutover_date"],
                    actor=request.user,
                )
            except OpenArImportRejected as err:
                errors = err.errors
                messages.error(request, err.message)
                status = 400
            except DomainValidationError as err:
                messages.error(request, err.message)
                status = 400
            else:
                messages.success(
                    request,
                    f"Imported {result.count} open invoice{'s' if result.count != 1 else ''} "
                    f"with the cut-over date {result.cutover_date.isoformat()}.",
                )
        else:
            status = 400
    else:
        form = OpenArImportForm()
    totals = []
    if result:
        totals = [
            {
                "currency": code,
                "original": amount_text(original, code),
                "open": amount_text(open_, code),
            }
            for code, (original, open_) in result.totals.items()
        ]
    return render(
        request,
        "collections/reports/import.html",
        {
            "form": form,
            "errors": errors,
            "result": result,
            "totals": totals,
            "columns": REQUIRED_COLUMNS + ["po_number"],
            "subnav": _subnav(request, "import"),
            "css": CSS,
        },
        status=status,
    )
