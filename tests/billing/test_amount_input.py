"""Money typed by a user: grouping separators read, exponents refused with the field named,
the same in every console form and on the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.exceptions import ValidationError as ValidationError_

from billing.forms import CreditNoteForm
from billing.forms_cash import RecordPaymentForm, RefundForm
from billing.models import Payment
from collections_app.views import DisputeForm, PromiseForm
from ordermgmt import roles
from tests.factories import AccountFactory, UserFactory

EXPONENT_MESSAGE = "Amount: write the amount out in digits (1000, not 1e3)."
AMOUNT_FIELDS = [
    (RecordPaymentForm, "amount"),
    (RefundForm, "amount"),
    (CreditNoteForm, "amount"),
    (PromiseForm, "amount"),
    (DisputeForm, "amount"),
]


@pytest.mark.parametrize(("form_class", "name"), AMOUNT_FIELDS)
@pytest.mark.parametrize(
    ("typed", "meant"),
    [("1,000.00", "1000.00"), ("12,345,678.5", "12345678.5"), ("1 000", "1000"), ("7.25", "7.25")],
)
def test_an_amount_with_the_grouping_separators_the_user_typed_is_read(
    form_class, name, typed, meant
):
    assert form_class.base_fields[name].clean(typed) == Decimal(meant)


@pytest.mark.parametrize(("form_class", "name"), AMOUNT_FIELDS)
@pytest.mark.parametrize(
    ("typed", "code", "says"),
    [
        ("1e3", "exponent", EXPONENT_MESSAGE),
        ("1,00.00", "invalid", "Amount: enter an amount in digits, such as 1,000.00"),
        ("NaN", "invalid", "Amount: enter an amount in digits"),
    ],
)
def test_an_exponent_or_a_misplaced_separator_is_refused_naming_the_field(
    form_class, name, typed, code, says
):
    field = form_class.base_fields[name]
    with pytest.raises(ValidationError) as err:
        field.clean(typed)
    label = str(field.label or "Amount")  # the message names the field as the form labels it
    assert err.value.code == code
    assert err.value.messages[0].startswith(says.replace("Amount", label, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "status", "refused"),
    [("1,000.00", 201, False), ("1e3", 400, True)],
)
def test_the_api_reads_amounts_with_the_same_rules(client, typed, status, refused):
    client.force_login(UserFactory(role=roles.FINANCE))
    data = {
        "account": AccountFactory().pk,
        "amount": typed,
        "currency": "USD",
        "received_date": "2026-01-20",
        "method": "ach",
        "reference": "ACH-1",
    }
    response = client.post("/api/v1/payments/", data, content_type="application/json")
    assert response.status_code == status, response.content
    if refused:  # the serializer's own 400, in the one error shape, before any service runs
        assert response.json() == {
            "field": "amount",
            "code": "exponent",
            "message": EXPONENT_MESSAGE,
        }
        assert Payment.objects.count() == 0
    else:
        assert Payment.objects.get().amount == Decimal("1000.00")


def test_a_contract_line_unit_price_is_read_with_the_same_rules():
    from ordermgmt.api import ContractLineInputSerializer

    field = ContractLineInputSerializer().fields["unit_price"]
    assert field.run_validation("1,200.50") == Decimal("1200.50")
    with pytest.raises(ValidationError_) as err:
        field.run_validation("1e3")
    assert err.value.detail[0].code == "exponent"
