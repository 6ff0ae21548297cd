"""core.bulk.insert_rows writes exactly what bulk_create writes, by COPY."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import bulk_history
from core.bulk import insert_rows
from ordermgmt.models import Contract, ContractKind
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

PLAN = [
    {"billing_date": "2026-01-01", "percent": "50"},
    {"billing_date": "2026-07-01", "percent": "50"},
]


def _contract(account, name: str) -> Contract:
    return Contract(
        account=account,
        name=name,
        kind=ContractKind.RENEWAL,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        currency="EUR",
        billing_frequency="custom",
        custom_billing_plan=PLAN,
        po_number="PO-1",
        billing_anchor_day=None,
    )


def _row(contract: Contract) -> dict:
    row = Contract.objects.filter(pk=contract.pk).values().get()
    return {k: v for k, v in row.items() if k not in {"id", "name", "created_at", "updated_at"}}


def test_insert_rows_writes_the_same_row_as_bulk_create_and_sets_keys(db):
    account = AccountFactory()
    [by_orm] = Contract.objects.bulk_create([_contract(account, "orm")])
    copied = [_contract(account, f"copy {i}") for i in range(3)]

    with CaptureQueriesContext(connection) as queries:
        insert_rows(copied)

    assert all(c.pk for c in copied) and len({c.pk for c in copied}) == 3
    assert all(_row(c) == _row(by_orm) for c in copied)
    assert Contract.objects.get(pk=copied[0].pk).custom_billing_plan == PLAN
    assert Contract.objects.get(pk=copied[0].pk).created_at is not None
    assert any(q["sql"].startswith("COPY") for q in queries.captured_queries)


def test_bulk_history_records_actor_reason_and_values_for_each_row(db):
    account = AccountFactory()
    actor = UserFactory()
    contracts = insert_rows([_contract(account, f"C{i}") for i in range(2)])

    bulk_history(Contract, contracts, history_type="+", reason="contract.created", actor=actor)

    for contract in contracts:
        [history] = contract.history.all()
        assert (history.history_type, history.history_user, history.history_change_reason) == (
            "+",
            actor,
            "contract.created",
        )
        assert (history.name, history.custom_billing_plan) == (contract.name, PLAN)
        assert history.po_number == "PO-1" and history.currency == "EUR"
