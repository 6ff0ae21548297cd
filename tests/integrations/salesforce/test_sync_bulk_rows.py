"""The sync's fast paths write what the general ones write: new rows and history rows
by COPY of tuples (ordermgmt.services.bulk_rows) as insert_rows + bulk_history, new
instances as the keyword constructor makes them, and a page of ids sent as one array
(``any_of``) finds the rows the IN list finds."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from core.audit import bulk_history
from core.bulk import insert_rows
from integrations.salesforce.models import SyncedRecord
from integrations.salesforce.services.bulk import ARRAY_FROM, any_of
from ordermgmt.models import Account, Product
from ordermgmt.services.bulk_rows import NewRows, copy_new_rows

pytestmark = pytest.mark.django_db

HISTORY_COLUMNS = ("history_type", "history_change_reason", "history_user_id")


def _account_values(n: int) -> dict:
    return {
        "legal_name": f"Acme {n} GmbH",
        "billing_country": "DE",
        "default_currency": "EUR",
        "salesforce_id": f"001A{n:014d}",
    }


def _stored(account: Account) -> tuple[dict, list[tuple]]:
    stored = Account.objects.get(pk=account.pk)
    row = {k: v for k, v in model_to_dict(stored).items() if k not in ("id", "salesforce_id")}
    history = list(
        Account.history.filter(id=account.pk).values_list(*HISTORY_COLUMNS, "legal_name")
    )
    return row, history


def test_copied_rows_and_history_rows_equal_those_of_insert_rows_and_bulk_history(specialist):
    copied = NewRows(Account)(_account_values(1))
    copy_new_rows([copied], history_type="+", reason="salesforce.sync: run #1", actor=specialist)
    inserted = Account(**_account_values(2))
    insert_rows([inserted])
    bulk_history(
        Account, [inserted], history_type="+", reason="salesforce.sync: run #1", actor=specialist
    )

    copied_row, copied_history = _stored(copied)
    inserted_row, inserted_history = _stored(inserted)
    assert copied_row == {**inserted_row, "legal_name": "Acme 1 GmbH"}
    assert copied_history == [("+", "salesforce.sync: run #1", specialist.pk, "Acme 1 GmbH")]
    assert inserted_history == [("+", "salesforce.sync: run #1", specialist.pk, "Acme 2 GmbH")]
    assert copied.pk is not None and not copied._state.adding
    assert copied.created_at == Account.objects.get(pk=copied.pk).created_at


def test_json_values_go_in_as_json():
    link = NewRows(SyncedRecord)(
        {
            "sf_object": "Account",
            "sf_id": "001A00000000000001",
            "local_id": 7,
            "values": {"legal_name": "Acme", "amount": "12.5", "lines": [{"q": "1"}]},
        }
    )
    copy_new_rows([link])
    assert SyncedRecord.objects.get(pk=link.pk).values == {
        "legal_name": "Acme",
        "amount": "12.5",
        "lines": [{"q": "1"}],
    }


def test_new_rows_are_the_instances_the_keyword_constructor_makes():
    values = _account_values(3)
    fast, slow = NewRows(Account)(dict(values)), Account(**values)
    assert {k: v for k, v in vars(fast).items() if k != "_state"} == {
        k: v for k, v in vars(slow).items() if k != "_state"
    }
    product = NewRows(Product)({"sku": "SKU-1", "name": "Seat"})
    assert product.active == Product(sku="SKU-1", name="Seat").active


def test_a_page_of_ids_as_one_array_finds_the_rows_the_in_list_finds():
    accounts = [NewRows(Account)(_account_values(n)) for n in range(ARRAY_FROM + 5)]
    copy_new_rows(accounts)
    wanted = [a.salesforce_id for a in accounts[::2]] + ["001A99999999999999"] * ARRAY_FROM
    assert len(wanted) >= ARRAY_FROM
    by_array = set(Account.objects.filter(any_of("salesforce_id", wanted)).values_list("pk"))
    by_list = set(Account.objects.filter(salesforce_id__in=wanted).values_list("pk"))
    assert by_array == by_list and len(by_array) == len(accounts[::2])
    keys = [a.pk for a in accounts]
    assert Account.objects.filter(any_of("pk", keys)).count() == len(keys)
