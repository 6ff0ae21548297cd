"""What the sync says matches what it did: renewal deals arrive as renewals, and the
run's numbers each say which records they count (issue 17's first-day defects)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.salesforce.models import SyncRunStatus
from integrations.salesforce.selectors import run_summary
from integrations.salesforce.services import run_sync_now
from integrations.salesforce.services.converters import deal_kind
from ordermgmt import roles
from ordermgmt.models import Contract, ContractKind, ContractStatus, Opportunity, OpportunityLine
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("salesforce_type", "kind"),
    [
        ("Existing Business - Renewal", ContractKind.RENEWAL),
        ("Renewal", ContractKind.RENEWAL),
        ("Existing Customer - Renewal", ContractKind.RENEWAL),
        ("New Business", ContractKind.NEW),
        ("New Customer", ContractKind.NEW),
        ("Existing Customer - Upgrade", ContractKind.NEW),
        (None, ContractKind.NEW),
    ],
)
def test_the_opportunity_type_decides_the_deal_type(salesforce_type, kind):
    assert deal_kind(salesforce_type, "Type") == kind


def test_a_renewal_deal_arrives_as_a_renewal_of_the_contract_it_continues(sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    sf_bookings.deal(
        account_id=account_id,
        Name="Northwind - New Business 2025",
        Type="New Business",
        Contract_Start_Date__c="2025-03-01",
        Contract_End_Date__c="2026-02-28",
    )
    run_sync_now()
    first = Contract.objects.get()
    Contract.objects.filter(pk=first.pk).update(status=ContractStatus.ACTIVE)  # booked, live
    renewal_id = sf_bookings.deal(
        account_id=account_id,
        Name="Northwind - Renewal 2026",
        Type="Existing Business - Renewal",
        contact=False,
    )

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert first.kind == ContractKind.NEW
    renewal = Contract.objects.get(opportunity__salesforce_id=renewal_id)
    assert (renewal.kind, renewal.get_kind_display()) == (ContractKind.RENEWAL, "Renewal")
    assert renewal.original_contract == first


def test_a_renewal_without_a_contract_ending_the_day_before_is_still_a_renewal(
    sf_settings, sf_bookings
):
    renewal_id = sf_bookings.deal(Type="Renewal")

    run_sync_now()

    renewal = Contract.objects.get(opportunity__salesforce_id=renewal_id)
    assert (renewal.kind, renewal.original_contract) == (ContractKind.RENEWAL, None)


def test_the_run_summary_names_what_each_number_counts(sf_settings, sf_bookings):
    sf_bookings.deal(lines=[("LL-PLAT", 25, "1200.00", 10), ("LL-IMPL", 1, "25000.00", None)])
    sf_bookings.deal(lines=[("LL-PLAT", 5, "1200.00", None)], contact=False)

    run = run_sync_now()

    summary = run_summary(run)
    assert Opportunity.objects.count() == 2
    assert OpportunityLine.objects.count() == 3
    assert "Read from Salesforce: 2 opportunities, 3 line items, 2 accounts" in summary
    assert "2 products" in summary
    assert "Created here: 2 opportunities, 3 opportunity lines, 2 accounts" in summary
    assert "2 draft contracts." in summary
    # Every record created here was read from Salesforce: the totals agree.
    read = sum(c.get("read", 0) for c in run.counts_by_object.values())
    created = sum(c.get("created", 0) for k, c in run.counts_by_object.items() if k != "Contract")
    assert read >= created


def test_the_run_pages_say_what_their_counts_count(client, sf_settings, sf_bookings):
    sf_bookings.deal(lines=[("LL-PLAT", 25, "1200.00", 10), ("LL-IMPL", 1, "25000.00", None)])
    run = run_sync_now()
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))

    detail = client.get(reverse("salesforce_sync:run_detail", args=[run.pk])).content.decode()
    runs = client.get(reverse("salesforce_sync:run_list")).content.decode()
    progress = client.get(reverse("salesforce_sync:run_progress", args=[run.pk])).json()

    expected = "Read from Salesforce: 1 opportunity, 2 line items"
    assert expected in detail and expected in runs and expected in progress["summary"]
    assert "Created here: 1 opportunity, 2 opportunity lines" in detail
    assert "records read ·" not in detail  # the bare "42 records read"
    assert ">Created<" not in runs and ">Fetched<" not in runs  # the bare "Created 189"
