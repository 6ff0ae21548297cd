"""Orgs as they really come: without multi-currency, without (or with other names for) the
custom fields; the preflight names what is missing before anything is read."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from simple_salesforce.exceptions import SalesforceMalformedRequest

from integrations.salesforce.models import LogLevel, SyncLogLine, SyncRunStatus
from integrations.salesforce.services import run_sync_now
from ordermgmt import roles
from ordermgmt.models import Account, Contract, Opportunity
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SINGLE_CURRENCY_EUR = {"multi_currency": False, "default_currency": "EUR"}
WITHOUT_PO_NUMBER = {"without_fields": {"Opportunity.PO_Number__c"}}


def queries(sim) -> list[str]:
    return [e["path"] for e in sim.request_log if "/query" in e["path"]]


@pytest.mark.parametrize("org_options", [SINGLE_CURRENCY_EUR])
def test_an_org_without_currency_iso_code_refuses_the_field_as_salesforce_does(sf_sim):
    sf = sf_sim.salesforce()

    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query("SELECT Id, CurrencyIsoCode FROM Opportunity")

    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert (
        "No such column 'CurrencyIsoCode' on entity 'Opportunity'"
        in (refused.value.content[0]["message"])
    )
    assert "CurrencyIsoCode" not in {f["name"] for f in sf.Opportunity.describe()["fields"]}
    organization = sf.query("SELECT DefaultCurrencyIsoCode FROM Organization")["records"]
    assert organization[0]["DefaultCurrencyIsoCode"] == "EUR"


@pytest.mark.parametrize("org_options", [SINGLE_CURRENCY_EUR])
def test_an_org_without_currency_iso_code_syncs_in_the_orgs_currency(sf_settings, sf_bookings):
    deal = sf_bookings.deal()

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    opportunity = Opportunity.objects.get(salesforce_id=deal)
    assert opportunity.currency == "EUR"
    assert Contract.objects.get(opportunity=opportunity).currency == "EUR"
    assert Account.objects.get(pk=opportunity.account_id).default_currency == "EUR"
    assert SyncLogLine.objects.filter(run=run, code="single_currency").exists()


@pytest.mark.parametrize("org_options", [WITHOUT_PO_NUMBER])
def test_the_preflight_names_a_missing_custom_field_before_anything_is_read(
    sf_settings, sf_sim, sf_bookings
):
    sf_bookings.deal()

    run = run_sync_now()

    assert run.status == SyncRunStatus.FAILED
    assert "Opportunity.PO_Number__c" in run.error
    line = SyncLogLine.objects.get(run=run, code="missing_field")
    assert (line.level, line.sf_object) == (LogLevel.ERROR, "Opportunity")
    assert "SALESFORCE_CUSTOM_FIELDS['po_number']" in line.message
    assert queries(sf_sim) == [
        "/services/data/v59.0/query/?q=SELECT+DefaultCurrencyIsoCode+FROM+Organization"
    ]
    assert not Opportunity.objects.exists()


@pytest.mark.parametrize("org_options", [WITHOUT_PO_NUMBER])
def test_the_sync_page_shows_what_the_org_is_missing(client, sf_settings, sf_bookings):
    sf_bookings.deal()
    run_sync_now()
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))

    page = client.get(reverse("salesforce_sync:run_list"))

    assert page.status_code == 200
    section = page.content.decode().split('id="org-setup"')[1].split("</section>")[0]
    assert "missing_field" in section
    assert "Opportunity.PO_Number__c" in section


@pytest.mark.parametrize("org_options", [WITHOUT_PO_NUMBER])
def test_the_command_check_lists_the_missing_field(sf_settings, capsys):
    with pytest.raises(CommandError) as failed:
        call_command("sync_salesforce", "--check")

    assert "Opportunity.PO_Number__c" in str(failed.value)
    assert "missing: Opportunity.PO_Number__c" in capsys.readouterr().out


@pytest.mark.parametrize("org_options", [WITHOUT_PO_NUMBER])
def test_a_custom_field_switched_off_in_settings_is_not_read(sf_settings, sf_bookings):
    sf_settings.SALESFORCE_CUSTOM_FIELDS = {"po_number": None}
    deal = sf_bookings.deal()

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert Contract.objects.get(opportunity__salesforce_id=deal).po_number == ""


def test_custom_field_names_come_from_the_settings(sf_settings, sf_bookings):
    sf_settings.SALESFORCE_CUSTOM_FIELDS = {"po_number": "Description"}
    deal = sf_bookings.deal(Description="PO-77", PO_Number__c="PO-IGNORED")

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert Contract.objects.get(opportunity__salesforce_id=deal).po_number == "PO-77"


def test_a_required_custom_field_cannot_be_switched_off(sf_settings, sf_bookings):
    sf_settings.SALESFORCE_CUSTOM_FIELDS = {"contract_start_date": ""}
    sf_bookings.deal()

    run = run_sync_now()

    assert run.status == SyncRunStatus.FAILED
    assert SyncLogLine.objects.filter(run=run, code="required_field_off").exists()
    assert not Opportunity.objects.exists()
