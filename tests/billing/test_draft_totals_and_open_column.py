"""First-day defects: a draft's own totals panel, and the admin invoice list's Open column."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.services import apply_payment, issue_invoice, record_payment
from ordermgmt import roles
from tests.billing.page_helpers import draft_invoice, logged_in

pytestmark = pytest.mark.django_db


def totals_panel(html: str) -> dict[str, str]:
    panel = re.search(r'<dl class="totals" id="invoice-totals">(.*?)</dl>', html, re.S).group(1)
    pairs = re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", panel)
    return dict(pairs)


def test_a_drafts_totals_panel_shows_the_drafts_totals_and_nothing_open(client):
    draft = draft_invoice()  # one annual line of 12,000.00, no tax
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("billing:invoice_detail", args=[draft.pk])).content.decode()
    assert totals_panel(html) == {
        "Subtotal": "$12,000.00",
        "Tax": "$0.00",
        "Total": "$12,000.00",
        "Credited": "—",
        "Paid": "—",
        "Open": "—",
    }
    row_amounts = re.findall(r'<td class="num strong">(.*?)</td>', html)
    assert row_amounts == ["$12,000.00"]  # the rows and the panel agree


def test_an_issued_invoices_panel_shows_its_open_balance(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert totals_panel(html)["Open"] == "$12,000.00"
    assert totals_panel(html)["Paid"] == "$0.00"


def test_the_invoice_list_tile_shows_what_the_drafts_will_bill(client):
    draft_invoice()
    logged_in(client, roles.FINANCE)
    response = client.get(reverse("billing:invoice_list"))
    (tile,) = response.context["totals"]
    assert (tile.open, tile.drafts) == ("$0.00", "$12,000.00")
    assert "drafts $12,000.00" in response.content.decode()


def admin_open_column(html: str) -> list[str]:
    return re.findall(r'<td class="field-open">(.*?)</td>', html)


def test_the_admin_open_column_is_formatted_right_and_empty_for_drafts(client):
    paid_part = issue_invoice(invoice=draft_invoice(), actor=None)
    payment = record_payment(
        account=paid_part.account,
        amount=Decimal("2500.50"),
        currency="USD",
        received_date=date(2026, 1, 20),
        method="wire",
        reference="WIRE-1",
        actor=None,
    )
    apply_payment(payment=payment, invoice=paid_part, amount=Decimal("2500.50"), actor=None)
    draft = draft_invoice()
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("admin:billing_invoice_changelist")).content.decode()
    rows = dict(
        zip(
            re.findall(r'<th class="field-number_or_draft"><a [^>]*>(.*?)</a></th>', html),
            admin_open_column(html),
            strict=True,
        )
    )
    assert rows == {paid_part.number: "$9,499.50", f"DRAFT #{draft.pk}": "—"}
