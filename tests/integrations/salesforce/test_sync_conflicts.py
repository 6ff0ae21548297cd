"""A field changed here is never overwritten by the sync; both sides changed is a conflict
that a specialist resolves."""

from __future__ import annotations

import pytest

from core.errors import DomainValidationError
from integrations.salesforce.models import (
    IssueKind,
    IssueStatus,
    Resolution,
    SyncedRecord,
    SyncIssue,
)
from integrations.salesforce.services import resolve_sync_issue, run_sync_now
from ordermgmt import services
from ordermgmt.models import Account, Contact, Contract, ContractStatus
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(sf_settings, sf_bookings):
    """One deal synced once; returns (account sf id, opportunity sf id)."""
    account_id = sf_bookings.account()
    opportunity_id = sf_bookings.deal(account_id=account_id)
    run = run_sync_now()
    assert run.status == "succeeded", run.error
    return account_id, opportunity_id


def edit_locally(instance, **values):
    """What the admin's change form does: save with the user and a reason in history."""
    for name, value in values.items():
        setattr(instance, name, value)
    instance._change_reason = "edited in the console"
    instance.save()


def test_a_locally_edited_field_is_not_overwritten_and_a_conflict_appears(
    booked, sf_bookings, specialist
):
    account_id, _ = booked
    account = Account.objects.get(salesforce_id=account_id)
    edit_locally(account, legal_name="Northwind Logistics Incorporated")
    sf_bookings.store.update("Account", account_id, {"Name": "Northwind Global Inc."})

    run = run_sync_now()

    account.refresh_from_db()
    assert account.legal_name == "Northwind Logistics Incorporated"
    issue = SyncIssue.objects.get(kind=IssueKind.CONFLICT, status=IssueStatus.OPEN)
    assert (issue.sf_object, issue.sf_id, issue.field) == ("Account", account_id, "legal_name")
    assert (issue.local_value, issue.salesforce_value) == (
        "Northwind Logistics Incorporated",
        "Northwind Global Inc.",
    )
    assert issue.account == account
    assert run.conflicts == 1


def test_a_local_edit_survives_while_salesforce_changes_other_fields(booked, sf_bookings):
    account_id, _ = booked
    account = Account.objects.get(salesforce_id=account_id)
    edit_locally(account, tax_id="US-12-3456789")
    sf_bookings.store.update("Account", account_id, {"BillingCity": "Oakland"})

    run_sync_now()

    account.refresh_from_db()
    assert (account.tax_id, account.billing_city) == ("US-12-3456789", "Oakland")
    assert not SyncIssue.objects.exists()


def test_the_same_change_on_both_sides_is_no_conflict(booked, sf_bookings):
    account_id, _ = booked
    contact = Contact.objects.get(account__salesforce_id=account_id)
    edit_locally(contact, phone="+1 555 999 0000")
    sf_contact = sf_bookings.store.all("Contact")[0]["Id"]
    sf_bookings.store.update("Contact", sf_contact, {"Phone": "+1 555 999 0000"})

    run_sync_now()

    assert not SyncIssue.objects.exists()
    link = SyncedRecord.objects.get(sf_object="Contact", sf_id=sf_contact)
    assert link.values["phone"] == "+1 555 999 0000"


def conflict_on_legal_name(sf_bookings, account_id):
    account = Account.objects.get(salesforce_id=account_id)
    edit_locally(account, legal_name="Local Name Ltd")
    sf_bookings.store.update("Account", account_id, {"Name": "Salesforce Name Ltd"})
    run_sync_now()
    return account, SyncIssue.objects.get(kind=IssueKind.CONFLICT, status=IssueStatus.OPEN)


def test_resolving_with_the_salesforce_value_writes_it_with_the_specialist_in_history(
    booked, sf_bookings, specialist
):
    account, issue = conflict_on_legal_name(sf_bookings, booked[0])

    resolve_sync_issue(issue=issue, resolution=Resolution.TAKE_SALESFORCE, actor=specialist)

    account.refresh_from_db()
    assert account.legal_name == "Salesforce Name Ltd"
    latest = account.history.first()
    assert latest.history_user == specialist
    assert "issue" in latest.history_change_reason
    issue.refresh_from_db()
    assert (issue.status, issue.resolution, issue.resolved_by) == (
        IssueStatus.RESOLVED,
        Resolution.TAKE_SALESFORCE,
        specialist,
    )
    # The next run agrees with Salesforce: nothing to do, no new issue.
    run = run_sync_now()
    assert run.conflicts == 0


def test_keeping_the_local_value_is_remembered_until_salesforce_changes_again(
    booked, sf_bookings, specialist
):
    account, issue = conflict_on_legal_name(sf_bookings, booked[0])

    resolve_sync_issue(
        issue=issue, resolution=Resolution.KEEP_LOCAL, actor=specialist, note="legal name per W-9"
    )
    sf_bookings.store.update("Account", booked[0], {"BillingCity": "Oakland"})
    quiet = run_sync_now()

    account.refresh_from_db()
    assert account.legal_name == "Local Name Ltd"
    assert account.billing_city == "Oakland"
    assert quiet.conflicts == 0
    assert not SyncIssue.objects.filter(status=IssueStatus.OPEN).exists()

    sf_bookings.store.update("Account", booked[0], {"Name": "Yet Another Name Ltd"})
    again = run_sync_now()

    assert again.conflicts == 1
    assert SyncIssue.objects.get(status=IssueStatus.OPEN).salesforce_value == "Yet Another Name Ltd"


def test_a_conflict_seen_again_updates_the_open_issue(booked, sf_bookings):
    account, issue = conflict_on_legal_name(sf_bookings, booked[0])
    sf_bookings.store.update("Account", booked[0], {"Name": "Changed Twice Ltd"})

    run_sync_now()

    assert SyncIssue.objects.filter(status=IssueStatus.OPEN).count() == 1
    issue.refresh_from_db()
    assert (issue.salesforce_value, issue.occurrences) == ("Changed Twice Ltd", 2)


def test_an_issue_cannot_be_resolved_twice_or_with_a_choice_it_does_not_offer(
    booked, sf_bookings, specialist
):
    _, issue = conflict_on_legal_name(sf_bookings, booked[0])

    with pytest.raises(DomainValidationError) as err:
        resolve_sync_issue(issue=issue, resolution=Resolution.ACKNOWLEDGED, actor=specialist)
    assert (err.value.field, err.value.code) == ("resolution", "resolution_not_allowed")

    resolve_sync_issue(issue=issue, resolution=Resolution.KEEP_LOCAL, actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        resolve_sync_issue(issue=issue, resolution=Resolution.KEEP_LOCAL, actor=specialist)
    assert (err.value.field, err.value.code) == ("status", "already_resolved")


def test_a_draft_contract_changed_here_keeps_its_value_and_raises_a_conflict(
    booked, sf_bookings, specialist
):
    _, opportunity_id = booked
    contract = Contract.objects.get(opportunity__salesforce_id=opportunity_id)
    terms = services.ContractTerms(
        name=contract.name,
        start_date=contract.start_date,
        end_date=contract.end_date,
        currency=contract.currency,
        payment_terms=contract.payment_terms,
        billing_frequency=contract.billing_frequency,
        po_number="PO-FROM-CUSTOMER",
    )
    services.update_contract(contract=contract, terms=terms, lines=None, actor=specialist)
    sf_bookings.store.update("Opportunity", opportunity_id, {"PO_Number__c": "PO-FROM-SALES"})

    run_sync_now()

    contract.refresh_from_db()
    assert contract.po_number == "PO-FROM-CUSTOMER"
    issue = SyncIssue.objects.get(status=IssueStatus.OPEN)
    assert (issue.kind, issue.field, issue.contract) == (
        IssueKind.CONFLICT,
        "contract.po_number",
        contract,
    )
    assert (issue.local_value, issue.salesforce_value) == ("PO-FROM-CUSTOMER", "PO-FROM-SALES")

    resolve_sync_issue(issue=issue, resolution=Resolution.TAKE_SALESFORCE, actor=specialist)

    contract.refresh_from_db()
    assert contract.po_number == "PO-FROM-SALES"
    assert contract.history.first().history_user == specialist


def test_a_contract_past_draft_is_not_changed_by_the_sync(booked, sf_bookings, specialist):
    _, opportunity_id = booked
    contract = Contract.objects.get(opportunity__salesforce_id=opportunity_id)
    services.cancel_contract(contract=contract, actor=specialist, comment="customer withdrew")
    sf_bookings.store.update("Opportunity", opportunity_id, {"Contract_End_Date__c": "2028-02-29"})

    run_sync_now()

    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
    assert str(contract.end_date) == "2027-02-28"
    issue = SyncIssue.objects.get(status=IssueStatus.OPEN)
    assert (issue.kind, issue.field, issue.salesforce_value) == (
        IssueKind.CONTRACT_LOCKED,
        "contract.end_date",
        "2028-02-29",
    )
    with pytest.raises(DomainValidationError) as err:
        resolve_sync_issue(issue=issue, resolution=Resolution.TAKE_SALESFORCE, actor=specialist)
    assert err.value.code == "contract_not_editable"


def test_an_existing_catalog_product_with_the_same_sku_is_linked_not_duplicated(
    sf_settings, sf_bookings
):
    mine = ProductFactory(sku="LL-SEAT", name="Seat (catalog name)", revenue_type="subscription")
    sf_bookings.deal()

    run_sync_now()

    mine.refresh_from_db()
    assert mine.salesforce_id == sf_bookings.product("LL-SEAT")
    assert mine.name == "Seat (catalog name)"  # Finance's name stays
    issue = SyncIssue.objects.get(status=IssueStatus.OPEN)
    assert (issue.kind, issue.sf_object, issue.field) == (IssueKind.CONFLICT, "Product2", "name")
    assert Contract.objects.get().lines.get().product == mine
