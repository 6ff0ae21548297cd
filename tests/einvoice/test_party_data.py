"""Structured party data: ids checked with python-stdnum, free-text addresses moved into
fields without loss (the text stays), and the report of what could not be parsed."""

import importlib
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command

from billing.models import LegalEntity, TaxRate
from core.errors import DomainValidationError
from core.party import clean_bic, clean_iban, clean_vat_id, parse_address
from ordermgmt.demo_addresses import demo_party
from ordermgmt.models import Account
from tests.factories import AccountFactory, TaxRateFactory

pytestmark = pytest.mark.django_db


def test_a_vat_number_with_a_wrong_check_digit_is_refused_naming_the_field():
    with pytest.raises(DomainValidationError) as err:
        clean_vat_id("DE136695977", country="DE", field="vat_id")
    assert (err.value.field, err.value.code) == ("vat_id", "invalid_vat_id")
    assert clean_vat_id("136 695 976", country="DE", field="vat_id") == "DE136695976"


def test_iban_and_bic_are_checked():
    assert clean_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(DomainValidationError) as err:
        clean_iban("DE89 3704 0044 0532 0130 01")
    assert (err.value.field, err.value.code) == ("iban", "invalid_iban")
    with pytest.raises(DomainValidationError) as err:
        clean_bic("COBA1234")
    assert (err.value.field, err.value.code) == ("bic", "invalid_bic")


def test_an_account_with_an_invalid_vat_number_does_not_validate_and_keeps_nothing():
    account = AccountFactory(billing_country="FR")
    account.vat_id = "FR00000000001"
    with pytest.raises(ValidationError) as err:
        account.full_clean()
    assert "vat_id" in err.value.message_dict
    assert Account.objects.get(pk=account.pk).vat_id == ""


def test_a_legal_entity_with_a_bad_iban_or_peppol_id_names_the_field():
    entity = LegalEntity(name="X", address="x", remit_to="x", country="DE", iban="DE00 1234")
    with pytest.raises(ValidationError) as err:
        entity.full_clean()
    assert "iban" in err.value.message_dict
    entity.iban, entity.peppol_endpoint_id = "", "DE136695976"
    with pytest.raises(ValidationError) as err:
        entity.full_clean()
    assert "peppol_endpoint_id" in err.value.message_dict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "500 Howard Street, Suite 400\nSan Francisco, CA 94105\nUnited States",
            ("500 Howard Street, Suite 400", "San Francisco", "CA", "94105", "US"),
        ),
        ("Hauptstrasse 1\n10115 Berlin\nDE", ("Hauptstrasse 1", "Berlin", "", "10115", "DE")),
        (
            "1 Poultry\nLondon EC2R 8EJ\nUnited Kingdom",
            ("1 Poultry", "London", "", "EC2R 8EJ", "GB"),
        ),
        (
            "Keizersgracht 123\n1015 CJ Amsterdam\nNetherlands",
            ("Keizersgracht 123", "Amsterdam", "", "1015 CJ", "NL"),
        ),
    ],
)
def test_free_text_addresses_split_into_fields(text, expected):
    parsed = parse_address(text)
    assert parsed.problems == []
    assert (
        parsed.line1,
        parsed.city,
        parsed.region,
        parsed.postal_code,
        parsed.country,
    ) == expected


def test_an_address_without_a_country_is_reported_not_guessed():
    parsed = parse_address("Berlin")
    assert parsed.country == ""
    assert parsed.problems


def _run_data_migration(app: str, name: str) -> None:
    module = importlib.import_module(f"{app}.migrations.{name}")
    module.forwards(django_apps, None)


def test_the_seller_migration_fills_the_fields_and_keeps_the_text():
    text = "Friedrichstraße 68\n10117 Berlin\nGermany"
    entity = LegalEntity.objects.create(
        name="Ledgerline Europe GmbH",
        address=text,
        tax_id="DE136695976",
        remit_to="Commerzbank · IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX",
    )
    TaxRateFactory(country="US", percent=0)
    TaxRateFactory(country="DE", percent=0, name="Zero")
    TaxRateFactory(country="DE", percent=19, name="USt")
    _run_data_migration("billing", "0107_structured_seller_data_from_text")
    entity.refresh_from_db()
    assert (entity.address_line1, entity.postal_code, entity.city, entity.country) == (
        "Friedrichstraße 68",
        "10117",
        "Berlin",
        "DE",
    )
    assert (entity.vat_id, entity.iban, entity.bic) == (
        "DE136695976",
        "DE89370400440532013000",
        "COBADEFFXXX",
    )
    assert entity.address == text  # the original stays
    categories = dict(TaxRate.objects.values_list("name", "category"))
    assert categories == {"Sales tax": "O", "Zero": "Z", "USt": "S"}


def test_the_account_migration_moves_a_valid_tax_id_and_leaves_the_rest():
    valid = AccountFactory(billing_country="DE", tax_id="DE 136 695 976")
    junk = AccountFactory(billing_country="DE", tax_id="TAX-123456")
    _run_data_migration("ordermgmt", "0009_account_ids_from_tax_id")
    valid.refresh_from_db()
    junk.refresh_from_db()
    assert (valid.vat_id, valid.tax_id) == ("DE136695976", "DE 136 695 976")
    assert (junk.vat_id, junk.company_id, junk.tax_id) == ("", "", "TAX-123456")


def test_the_report_lists_what_could_not_be_parsed_and_changes_nothing():
    LegalEntity.objects.create(name="Vague Ltd", address="Berlin", remit_to="Bank")
    AccountFactory(legal_name="Junk Tax Id AG", billing_country="DE", tax_id="TAX-1")
    AccountFactory(
        legal_name="Complete Inc.",
        billing_address_line1="1 Main St",
        billing_city="Austin",
        billing_postal_code="78701",
    )
    out = StringIO()
    call_command("party_data_report", stdout=out)
    report = out.getvalue()
    assert "seller" in report and "Vague Ltd" in report and "no country" in report
    assert "Junk Tax Id AG" in report and "'TAX-1'" in report
    assert "Complete Inc." not in report
    assert LegalEntity.objects.get(name="Vague Ltd").country == ""


@pytest.mark.parametrize("country", ["US", "DE", "GB", "JP"])
def test_demo_party_data_is_complete_and_passes_the_id_checks(country):
    for index in range(30):
        fields = demo_party(
            country=country,
            index=index,
            street_number=index * 31 + 1,
            place_pick=index,
            postal_seed=10000 + index * 977,
            id_seed=100000 + index * 28871,
        )
        account = AccountFactory(billing_country=country, **fields)
        account.full_clean()  # stdnum checks VAT numbers and company ids
        assert account.billing_address_line1 and account.billing_city
        assert account.billing_postal_code and account.buyer_reference
        assert account.vat_id or account.company_id
