"""`manage.py run_billing`: bills (or previews) a date in-process and prints a summary."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import BillingRun, Invoice, LegalEntity
from ordermgmt.models import Contract
from tests.factories import (
    AccountFactory,
    LegalEntityFactory,
    active_contract,
    billable_account,
)

pytestmark = pytest.mark.django_db


def run_billing(*args) -> str:
    out = StringIO()
    call_command("run_billing", *args, stdout=out)
    return out.getvalue()


def test_it_bills_the_date_and_prints_invoices_per_currency_and_what_it_skipped():
    active_contract()
    active_contract()
    active_contract(account=billable_account(billing_country="DE"), currency="EUR")
    on_hold = active_contract()
    Contract.objects.filter(pk=on_hold.pk).update(billing_hold=True)
    no_contact = active_contract(account=AccountFactory(legal_name="Hooli"))

    output = run_billing("--date", "2026-01-01")

    run = BillingRun.objects.get()
    assert run.status == "completed" and not run.dry_run
    assert Invoice.objects.filter(billing_run=run).count() == 3
    assert f"Billing run #{run.pk} for 2026-01-01: completed" in output
    assert "5 contract(s) due" in output
    assert "  EUR: 1 invoice, €12,000.00\n  USD: 2 invoices, $24,000.00\n" in output
    assert "Skipped 2 contract(s):" in output
    assert f"{on_hold.reference}  {on_hold.account.legal_name}: Contract on billing hold" in output
    assert f"{no_contact.reference}  Hooli: No billing contact" in output


def test_a_dry_run_writes_no_invoice_and_says_what_it_would_make_and_skip():
    active_contract()
    on_hold = active_contract()
    Contract.objects.filter(pk=on_hold.pk).update(billing_hold=True)
    output = run_billing("--date", "2026-01-01", "--dry-run")
    assert Invoice.objects.count() == 0
    run = BillingRun.objects.get()
    assert run.dry_run and len(run.preview) == 2
    assert f"Preview #{run.pk} for 2026-01-01: completed" in output
    assert "Invoices it would make, per currency:\n  USD: 1 invoice, $12,000.00\n" in output
    assert "Skipped 1 contract(s):" in output
    assert f"{on_hold.reference}  {on_hold.account.legal_name}: Contract on billing hold" in output


def test_nothing_due_says_so():
    active_contract()
    output = run_billing("--date", "2025-06-01")
    assert "0 contract(s) due" in output and "Invoices it made: none." in output
    assert "Skipped: none." in output


def test_the_run_executes_here_and_is_not_also_handed_to_celery(
    django_capture_on_commit_callbacks,
):
    # With a broker, a queued run goes to a worker; eagerly, it runs on commit. The
    # command runs it itself, so neither may run it a second time.
    active_contract()
    with django_capture_on_commit_callbacks() as callbacks:
        run_billing("--date", "2026-01-01")
    assert callbacks == []
    assert BillingRun.objects.get().invoices_created == 1
    from billing.services import runs

    assert len(runs.ON_RUN_QUEUED) == 1  # the Celery hook is back for everyone else


def test_a_bad_date_is_refused():
    LegalEntityFactory()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_billing("--date", "01/12/2026")
    with pytest.raises(CommandError, match="run_date: Run date is more than a year ahead"):
        run_billing("--date", "2099-01-01")
    assert not BillingRun.objects.exists()


def test_without_a_legal_entity_nothing_is_queued():
    active_contract()
    LegalEntity.objects.all().delete()
    with pytest.raises(CommandError, match="legal_entity: No default legal entity"):
        run_billing("--date", "2026-01-01")
    assert not BillingRun.objects.exists()
