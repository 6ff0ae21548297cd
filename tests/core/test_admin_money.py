"""Money is shown as money in every admin: no changelist column and no read-only field
of a change page shows a raw 4-place amount such as 36000.0000."""

import re

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.urls import reverse

from core.admin_money import amount_fields
from ordermgmt import roles
from tests.factories import IssuedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def _raw_amount_columns(names, model) -> list[str]:
    raw = []
    for name in names:
        if not isinstance(name, str):
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a method or admin attribute, not a field
            continue
        if isinstance(field, models.DecimalField) and name in amount_fields(model):
            raw.append(name)
    return raw


def test_no_registered_admin_lists_a_raw_decimal_amount_column():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(role=roles.ADMIN, is_superuser=True, is_staff=True)
    raw = {
        model._meta.label: columns
        for model, model_admin in admin.site._registry.items()
        if (columns := _raw_amount_columns(model_admin.get_list_display(request), model))
    }
    assert raw == {}


def test_every_4_place_amount_of_a_model_with_a_currency_is_formatted():
    # The scan above is only as good as what counts as an amount: these must.
    from billing.models import CreditNote, Invoice, Payment
    from ordermgmt.models import Opportunity

    assert {"total_amount", "paid_amount"} <= set(amount_fields(Invoice))
    assert {"amount", "applied_amount", "refunded_amount"} <= set(amount_fields(Payment))
    assert "on_account_amount" in amount_fields(CreditNote)
    assert "amount" in amount_fields(Opportunity)


def test_an_issued_invoices_read_only_amounts_show_as_money(client):
    invoice = IssuedInvoiceFactory(total="36000.00")
    client.force_login(UserFactory(role=roles.ADMIN, is_superuser=True, is_staff=True))
    html = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()
    # Amounts (4 places) as money; the line's unit price (6 places) is a price, left as is.
    assert not re.search(r"36000\.0000(?!\d)", html)
    assert html.count("$36,000.00") >= 2  # the total and the line amount


def test_the_opportunity_changelist_shows_amounts_with_their_currency(client):
    from datetime import date
    from decimal import Decimal

    from ordermgmt.models import Opportunity
    from tests.factories import AccountFactory

    Opportunity.objects.create(
        account=AccountFactory(), salesforce_id="006A", name="Expansion", stage="Closed Won",
        close_date=date(2026, 1, 5), currency="EUR", amount=Decimal("5000.00"),
    )  # fmt: skip
    client.force_login(UserFactory(role=roles.ADMIN, is_superuser=True, is_staff=True))
    html = client.get(reverse("admin:ordermgmt_opportunity_changelist")).content.decode()
    assert "€5,000.00" in html and "5000.0000" not in html
