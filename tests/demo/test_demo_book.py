"""The demo as a real book: a small demo book (contracts that started up to two and a half
years ago) billed by `load_billing_demo` bills each period of a contract line on its own
invoice, issues every invoice on its billing run's day in the past, keeps numbers in date
order per seller, and the usage demo has a commitment paid in installments."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Min
from django.utils import timezone

from billing.management.demo_checks import (
    catch_up_invoices,
    documents_after,
    issued_on_other_days,
    numbers_out_of_date_order,
)
from billing.models import CreditNote, Invoice, InvoiceLine, Payment
from billing.usage.models import Commitment, PaymentPlan
from ordermgmt.models import Contract, ContractStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.timeout(1800)
def test_a_small_demo_book_reads_as_a_real_book(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    call_command("load_demo_data", "--seed", "7", "--accounts", "30", "--contracts", "45")
    call_command("load_billing_demo", "--months", "2")
    call_command("load_usage_demo")
    today = timezone.localdate()
    billed = Contract.objects.filter(status__in=[ContractStatus.ACTIVE, ContractStatus.EXPIRED])
    earliest = billed.aggregate(day=Min("start_date"))["day"]
    # The book has history from long before the two months asked for ...
    assert earliest < today - timedelta(days=365)
    invoices = Invoice.objects.filter(number__isnull=False)
    assert invoices.filter(invoice_date__lt=today - timedelta(days=365)).exists()
    # ... and yet no invoice bills two periods of one contract line: each was billed on
    # its own run (checked here by its own query, beside the loader's report).
    per_line = (
        InvoiceLine.objects.filter(invoice__number__isnull=False, schedule_line__isnull=False)
        .exclude(contract_line=None)
        .values("invoice_id", "contract_line_id")
        .annotate(periods=Count("period_start", distinct=True))
        .filter(periods__gt=1)
    )
    assert list(per_line) == []
    assert catch_up_invoices() == []
    # Every invoice was issued in the past, on its own date, as it was billed.
    assert documents_after(today) == []
    assert issued_on_other_days() == []
    assert not invoices.filter(issued_at__gt=timezone.now()).exists()
    assert invoices.values("issued_at__date").distinct().count() > 12
    # Numbers follow dates within each seller's series (two sellers here).
    assert invoices.values("legal_entity").distinct().count() == 2
    assert numbers_out_of_date_order() == []
    # Payments were recorded on the day they came in.
    payments = list(Payment.objects.values_list("received_date", "created_at"))
    assert payments and all(timezone.localdate(at) == day for day, at in payments)
    assert CreditNote.objects.count() == 3
    # Contracts were booked when their deal closed and activated a week later, after the
    # desk's approvals, not when the book was loaded.
    activated = billed.exclude(opportunity=None).select_related("opportunity")
    for contract in activated:
        week_later = contract.opportunity.close_date + timedelta(days=7)
        assert timezone.localdate(contract.activated_at) == min(week_later, today)
        assert timezone.localdate(contract.created_at) == contract.opportunity.close_date
        reviews = contract.deal_desk_reviews.exclude(decided_at=None)
        assert all(review.decided_at <= contract.activated_at for review in reviews)

    # The usage demo has a commitment paid in installments (the loads take minutes: one
    # test looks at the whole book).
    commitment = Commitment.objects.get(payment_plan=PaymentPlan.INSTALLMENTS)
    assert commitment.contract.account.legal_name == "Helix Genomics Inc."
    assert commitment.installments.count() == 4
    # The installments due so far are on issued invoices, each on its own.
    invoiced = InvoiceLine.objects.filter(
        invoice__contract=commitment.contract,
        invoice__number__isnull=False,
        description__startswith="Installment",
    )
    assert invoiced.count() >= 3
    assert invoiced.values("invoice").distinct().count() == invoiced.count()
