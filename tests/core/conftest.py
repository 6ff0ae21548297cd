"""Fixtures the paging tests share (test_deep_pages.py, test_keyset_pages.py)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import AccountFactory, IssuedInvoiceFactory


@pytest.fixture
def tied_invoices(db):
    """11 invoices over 3 customers, 4 amounts and 4 dates: many ties on each column."""
    accounts = [AccountFactory(legal_name=name) for name in ("Zeta AG", "Alpha Ltd", "Mid Co")]
    return [
        IssuedInvoiceFactory(
            account=accounts[n % 3],
            total=f"{10 + n % 4}.00",
            invoice_date=date(2026, 1, 1 + n // 3),
        )
        for n in range(11)
    ]
