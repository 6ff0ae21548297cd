"""The one transition mechanism: every domain status moves along its table, or is refused
naming both states."""

import pytest

from billing.models import (
    BillingRun,
    BillingRunStatus,
    BillingScheduleLine,
    Invoice,
    InvoiceStatus,
    ScheduleLineStatus,
)
from collections_app.models import (
    ActivityKind,
    ActivityStatus,
    CollectionActivity,
    ExportJob,
    ExportJobStatus,
)
from core.errors import DomainValidationError
from ordermgmt.models import Contract, ContractStatus, DealDeskReview, ReviewStatus


@pytest.mark.parametrize(
    ("record", "new", "words"),
    [
        (Invoice(status=InvoiceStatus.VOID), InvoiceStatus.ISSUED, "from void to issued"),
        (
            Contract(status=ContractStatus.ACTIVE),
            ContractStatus.DRAFT,
            "from Active to Draft",
        ),
        (
            ExportJob(status=ExportJobStatus.DONE),
            ExportJobStatus.RUNNING,
            "from done to running",
        ),
        (
            CollectionActivity(kind=ActivityKind.NOTE, status=ActivityStatus.NONE),
            ActivityStatus.DONE,
            "from no status to done",
        ),
        (
            BillingRun(status=BillingRunStatus.QUEUED),
            BillingRunStatus.COMPLETED,
            "from queued to completed",
        ),
        (
            BillingScheduleLine(status=ScheduleLineStatus.CANCELLED),
            ScheduleLineStatus.BILLED,
            "from cancelled to billed",
        ),
        (
            DealDeskReview(status=ReviewStatus.APPROVED),
            ReviewStatus.REJECTED,
            "from approved to rejected",
        ),
    ],
)
def test_an_illegal_move_is_refused_naming_both_states_and_keeps_the_status(record, new, words):
    before = record.status
    assert not record.can_transition_to(new)
    with pytest.raises(DomainValidationError) as err:
        record.transition_to(new)
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
    assert words in err.value.message
    assert record.status == before and not record.moved_by_transition()


def test_a_legal_move_sets_the_status_and_lets_the_next_save_through():
    run = BillingRun(status=BillingRunStatus.RUNNING)
    run.transition_to(BillingRunStatus.COMPLETED)
    assert (run.status, run.moved_by_transition()) == (BillingRunStatus.COMPLETED, True)


def test_a_bulk_move_the_table_does_not_allow_is_refused_before_any_row_changes():
    with pytest.raises(DomainValidationError) as err:
        BillingScheduleLine.transition_rows(
            BillingScheduleLine.objects.none(),
            from_status=ScheduleLineStatus.CANCELLED,
            to_status=ScheduleLineStatus.PENDING,
        )
    assert (err.value.field, err.value.code) == ("status", "illegal_transition")
