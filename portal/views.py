"""Customer portal pages. Thin: the contact comes from `access`, documents from
`selectors` (always scoped to the contact's account), actions from `services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.documents.pdf import credit_note_pdf_download, invoice_pdf_download
from billing.einvoice import SYNTAXES, render_einvoice
from collections_app.models import ActivityKind, ActivityStatus
from collections_app.statements.render import statement_csv, statement_pdf_bytes
from collections_app.statements.selectors import statement_of_account
from core.errors import DomainValidationError
from core.money import round_money
from ordermgmt.security.client_ip import client_ip
from portal import selectors, services
from portal.access import (
    end_portal_session,
    portal_contact_required,
    start_portal_session,
)
from portal.forms import DisputeForm, SignInForm, StatementForm
from portal.models import PortalAction


def _log(request, action: str, document: str = "", detail: str = "") -> None:
    services.record_portal_action(
        contact=request.portal_contact,
        action=action,
        document=document,
        detail=detail,
        ip=client_ip(request),
    )


def sign_in(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.send_sign_in_links(
            email=form.cleaned_data["email"],
            link_for=lambda token: request.build_absolute_uri(
                reverse("portal:open_link", args=[token])
            ),
            ip=client_ip(request),
        )
        return redirect("portal:link_sent")
    return render(
        request, "portal/sign_in.html", {"form": form}, status=400 if form.errors else 200
    )


def link_sent(request):
    return render(request, "portal/link_sent.html")


def open_link(request, token: str):
    """GET only shows a button: mail scanners that fetch links must not use them up."""
    if request.method != "POST":
        return render(request, "portal/open_link.html")
    try:
        contact = services.sign_in_with_link(token=token, ip=client_ip(request))
    except DomainValidationError as err:
        return render(request, "portal/open_link.html", {"error": err.message}, status=400)
    start_portal_session(request, contact)
    return redirect("portal:home")


@require_POST
def sign_out(request):
    end_portal_session(request)
    return redirect("portal:sign_in")


@portal_contact_required
def home(request):
    account = request.portal_account
    today = timezone.localdate()
    invoices = Paginator(selectors.portal_invoices(account), 25).get_page(request.GET.get("page"))
    open_invoices = [
        i for i in selectors.portal_invoices(account).filter(status="issued") if i.open_amount > 0
    ]
    balances: dict[str, object] = {}
    for invoice in open_invoices:
        balances[invoice.currency] = balances.get(invoice.currency, 0) + invoice.open_amount
    return render(
        request,
        "portal/home.html",
        {
            "account": account,
            "invoices": invoices,
            "balances": selectors.balance_due(account),
            "credit_notes": selectors.portal_credit_notes(account)[:25],
            "payments": selectors.portal_payments(account)[:25],
            "statement_form": StatementForm(
                initial={"start": today.replace(month=1, day=1), "end": today}
            ),
            "today": today,
        },
    )


@portal_contact_required
def invoice_detail(request, pk: int):
    invoice = selectors.portal_invoice(request.portal_account, pk)
    _log(request, PortalAction.VIEWED_INVOICE, invoice.number or "")
    disputes = invoice.collection_activities.filter(
        kind=ActivityKind.DISPUTE, status=ActivityStatus.OPEN
    )
    return render(
        request,
        "portal/invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "pay_url": selectors.payment_page_url(invoice),
            "open_dispute": disputes.first(),
            "dispute_form": DisputeForm(
                initial={"amount": round_money(max(invoice.open_amount, 0), invoice.currency)}
            ),
        },
    )


@portal_contact_required
def invoice_pdf(request, pk: int):
    invoice = selectors.portal_invoice(request.portal_account, pk)
    filename, content = invoice_pdf_download(invoice)
    _log(request, PortalAction.DOWNLOADED_INVOICE, invoice.number or "")
    return _attachment(content, "application/pdf", filename)


@portal_contact_required
def credit_note_pdf(request, pk: int):
    note = selectors.portal_credit_note(request.portal_account, pk)
    filename, content = credit_note_pdf_download(note)
    _log(request, PortalAction.DOWNLOADED_CREDIT_NOTE, note.number)
    return _attachment(content, "application/pdf", filename)


@portal_contact_required
def pay(request, pk: int):
    """A link, not a form: the CSP's form-action keeps form posts on our own site, and
    Stripe's page is elsewhere."""
    invoice = selectors.portal_invoice(request.portal_account, pk)
    url = selectors.payment_page_url(invoice)
    if not url:
        messages.error(
            request, f"{invoice.number} cannot be paid online; see the bank details on it."
        )
        return redirect("portal:invoice", pk)
    _log(request, PortalAction.STARTED_PAYMENT, invoice.number or "")
    return redirect(url)


@portal_contact_required
def invoice_einvoice(request, pk: int, syntax: str):
    return _einvoice(request, selectors.portal_invoice(request.portal_account, pk), syntax)


@portal_contact_required
def credit_note_einvoice(request, pk: int, syntax: str):
    return _einvoice(request, selectors.portal_credit_note(request.portal_account, pk), syntax)


def _einvoice(request, document, syntax: str):
    """The same file the staff pages and the API serve (rendered, checked and kept once)."""
    if syntax not in SYNTAXES:
        raise Http404("No such e-invoice format.")
    try:
        filename, content_type, content = render_einvoice(document=document, syntax=syntax)
    except DomainValidationError as err:
        messages.error(request, f"This e-invoice is not available yet: {err.message}")
        return redirect("portal:home")
    _log(request, PortalAction.DOWNLOADED_EINVOICE, document.number or "", detail=syntax)
    return _attachment(content, content_type, filename)


@require_POST
@portal_contact_required
def dispute(request, pk: int):
    invoice = selectors.portal_invoice(request.portal_account, pk)
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            services.raise_dispute(
                contact=request.portal_contact,
                invoice=invoice,
                ip=client_ip(request),
                **form.cleaned_data,
            )
        except DomainValidationError as err:
            form.add_error(err.field if err.field in form.fields else None, err.message)
        else:
            messages.success(request, f"Thank you: our team will look into {invoice.number}.")
            return redirect("portal:invoice", pk)
    return render(
        request,
        "portal/invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.all(),
            "pay_url": selectors.payment_page_url(invoice),
            "dispute_form": form,
        },
        status=400,
    )


@portal_contact_required
def statement(request):
    form = StatementForm(request.GET)
    if not form.is_valid():
        return render(request, "portal/statement_error.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        result = statement_of_account(account=request.portal_account, start=start, end=end)
    except DomainValidationError as err:
        form.add_error(None, err.message)
        return render(request, "portal/statement_error.html", {"form": form}, status=400)
    name = f"statement-{result.currency}-{start}-{end}"
    _log(request, PortalAction.DOWNLOADED_STATEMENT, detail=f"{start} to {end}")
    if form.cleaned_data["file_format"] == "csv":
        return _attachment(statement_csv(result).encode(), "text/csv; charset=utf-8", f"{name}.csv")
    return _attachment(statement_pdf_bytes(result), "application/pdf", f"{name}.pdf")


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
