"""E-invoice downloads: Factur-X PDF, Factur-X CII XML, XRechnung and UBL/Peppol of an
issued invoice or a credit note, permissioned like the PDFs (whoever may view the
document). A document an e-invoice cannot be made for answers 400 naming the field."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.views import APIView

from billing.einvoice import SYNTAXES, render_einvoice
from billing.models import CreditNote, Invoice
from core.api_permissions import NamedPermission
from core.schema import CatalogAutoSchema


class RefusingDownloadSchema(CatalogAutoSchema):
    """A download takes no input but can be refused (data an e-invoice needs is
    missing): document its 400 answer like an input endpoint's."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and "400" not in operation["responses"]:
            operation["responses"]["400"] = self._refusal(registry)
        return operation


SYNTAX_PARAMETER = OpenApiParameter(
    "syntax",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(SYNTAXES),
    description="facturx-pdf: PDF/A-3 with the CII attached; facturx-xml: the CII alone "
    "(EN 16931 profile); xrechnung: XRechnung 3.0 CII; ubl: UBL 2.1 / Peppol BIS 3.0",
)
RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="Factur-X PDF"),
    (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="XML"),
    404: OpenApiResponse(description="No such document"),
}


def _file(document, syntax: str) -> HttpResponse:
    if syntax not in SYNTAXES:
        raise Http404("No such e-invoice format.")
    filename, content_type, content = render_einvoice(document=document, syntax=syntax)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class InvoiceEInvoiceView(APIView):
    permission_classes = [NamedPermission]
    permission_required = "billing.view_invoice"
    schema = RefusingDownloadSchema()

    @extend_schema(parameters=[SYNTAX_PARAMETER], responses=RESPONSES)
    def get(self, request, pk: int, syntax: str):
        invoice = Invoice.objects.select_related("legal_entity", "account").filter(pk=pk).first()
        if invoice is None:
            raise Http404("No such invoice.")
        return _file(invoice, syntax)


class CreditNoteEInvoiceView(APIView):
    permission_classes = [NamedPermission]
    permission_required = "billing.view_creditnote"
    schema = RefusingDownloadSchema()

    @extend_schema(parameters=[SYNTAX_PARAMETER], responses=RESPONSES)
    def get(self, request, pk: int, syntax: str):
        note = CreditNote.objects.select_related("invoice", "legal_entity").filter(pk=pk).first()
        if note is None:
            raise Http404("No such credit note.")
        return _file(note, syntax)
