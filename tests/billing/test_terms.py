from datetime import date

import pytest

from core.errors import DomainValidationError
from core.terms import PaymentTerms


@pytest.mark.parametrize(
    ("code", "invoice_date", "due"),
    [
        ("NET30", date(2025, 12, 15), date(2026, 1, 14)),  # QuickBooks [BILL-TERMS-001]
        ("NET30EOM", date(2025, 1, 20), date(2025, 3, 2)),  # ERPNext [BILL-TERMS-002]
        ("NET10EOM", date(2025, 1, 20), date(2025, 2, 10)),
        ("EOM", date(2025, 2, 3), date(2025, 2, 28)),
        ("1MEOM", date(2025, 2, 10), date(2025, 3, 31)),  # current ERPNext rule, not 28 Mar
        ("DUE", date(2025, 2, 10), date(2025, 2, 10)),
        ("NET45", date(2024, 2, 29), date(2024, 4, 14)),
    ],
)
def test_due_date_follows_the_terms(code, invoice_date, due):
    assert PaymentTerms.parse(code).due_date(invoice_date) == due


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("NET30", "Net 30"),
        ("net 30 eom", "Net 30 EOM"),
        ("EOM", "EOM"),
        ("2MEOM", "2 months after EOM"),
    ],
)
def test_terms_have_a_readable_label(code, label):
    assert PaymentTerms.parse(code).label == label


@pytest.mark.parametrize("code", ["NET", "30", "NETX", "NET30EOMX", ""])
def test_malformed_terms_are_refused(code):
    with pytest.raises(DomainValidationError) as err:
        PaymentTerms.parse(code)
    assert (err.value.field, err.value.code) == ("payment_terms", "invalid_payment_terms")
