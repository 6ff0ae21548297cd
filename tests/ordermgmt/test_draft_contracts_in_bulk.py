"""create_draft_contracts: many drafts at once, each validated as create_contract does."""

from datetime import date

import pytest

from core.errors import DomainValidationError
from ordermgmt import services
from ordermgmt.models import Contract, ContractLine, ContractStatus
from tests.factories import AccountFactory, contract_terms, line_input

pytestmark = pytest.mark.django_db


def test_drafts_are_created_with_their_lines_and_one_history_row_each(specialist):
    accounts = [AccountFactory(), AccountFactory()]
    drafts = [
        services.DraftContractInput(
            account=account, terms=contract_terms(name=f"Deal {n}"), lines=[line_input()]
        )
        for n, account in enumerate(accounts)
    ]

    results = services.create_draft_contracts(drafts=drafts, actor=specialist)

    assert [c.name for c in results] == ["Deal 0", "Deal 1"]
    for contract in results:
        stored = Contract.objects.get(pk=contract.pk)
        assert stored.status == ContractStatus.DRAFT
        assert stored.lines.count() == 1
        history = list(stored.history.all())
        assert [(h.history_type, h.history_user, h.history_change_reason) for h in history] == [
            ("+", specialist, "contract.created")
        ]


def test_a_refused_draft_comes_back_as_its_error_and_the_others_are_written(specialist):
    good = services.DraftContractInput(
        account=AccountFactory(), terms=contract_terms(name="Good"), lines=[line_input()]
    )
    bad = services.DraftContractInput(
        account=AccountFactory(),
        terms=contract_terms(name="Bad", start_date=date(2027, 1, 1), end_date=date(2026, 1, 1)),
        lines=[line_input()],
    )

    created, refused = services.create_draft_contracts(drafts=[good, bad], actor=specialist)

    assert isinstance(refused, DomainValidationError)
    assert refused.field == "end_date"
    assert list(Contract.objects.values_list("name", flat=True)) == ["Good"]
    assert ContractLine.objects.filter(contract__name="Bad").count() == 0
    assert created.pk is not None
