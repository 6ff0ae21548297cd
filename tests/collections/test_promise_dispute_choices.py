"""Promise and dispute forms offer only invoices still owed; a note may name any."""

from datetime import date

import pytest

from collections_app.views import DisputeForm, NoteForm, PromiseForm
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    issued_invoice,
    no_issue_hooks,
    pay,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_issue_hooks")]


def test_promise_and_dispute_forms_list_only_open_invoices():
    account = customer("Acme")
    paid = issued_invoice(account=account, due=date(2026, 3, 1))
    pay(paid, paid.total_amount, on=date(2026, 3, 2))
    still_open = issued_invoice(account=account, due=date(2026, 3, 10))
    for form_class in (PromiseForm, DisputeForm):
        choices = list(form_class(account=account).fields["invoice"].queryset)
        assert choices == [still_open], form_class.__name__
    assert set(NoteForm(account=account).fields["invoice"].queryset) == {paid, still_open}
