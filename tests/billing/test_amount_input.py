"""Money typed by a user: grouping separators read, exponents refused with the field named,
the same in every console form and on the API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.forms import CreditNoteForm
from billing.forms_cash import RecordPaymentForm, RefundForm
from billing.models import Payment
from ordermgmt import roles
from tests.factories import AccountFactory, UserFactory

EXPONENT_MESSAGE = "Amount: write the amount out in digits (1000, not 1e3)."
AMOUNT_FIELDS = [
    (RecordPaymentForm, "amount"),
    (RefundForm, "amount"),
    (CreditNoteForm, "amount"),
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
    with pytest.raises(ValidationError) as err:
        form_class.base_fields[name].clean(typed)
    assert err.value.code == code and err.value.messages[0].startswith(says)


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
    if refused:  # the serializer's own 400 ({field: [messages]}), before any service runs
        assert response.json() == {"amount": [EXPONENT_MESSAGE]}
        assert Payment.objects.count() == 0
    else:
        assert Payment.objects.get().amount == Decimal("1000.00")
