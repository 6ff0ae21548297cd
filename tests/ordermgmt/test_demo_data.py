from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count

from ordermgmt.models import Account, Contract, ContractLine, ContractStatus, RampStep

pytestmark = pytest.mark.django_db


def book_fingerprint():
    return list(
        Contract.objects.order_by("id").values_list(
            "account__legal_name",
            "status",
            "currency",
            "start_date",
            "end_date",
            "billing_frequency",
            "payment_terms",
        )
    )


@pytest.mark.slow
@pytest.mark.timeout(2400)  # loads the full book if no reader before it did: minutes at load 10
def test_demo_book_is_realistic_deterministic_and_idempotent(full_demo_book, settings):
    # The session's full demo book (tests/conftest.py: `make demo`'s three loads, default
    # seed), shared with tests/einvoice/test_demo_einvoices.py.
    assert Account.objects.count() >= 200
    assert Contract.objects.count() >= 500
    currencies = set(Contract.objects.values_list("currency", flat=True))
    assert {"USD", "EUR", "GBP", "JPY"} <= currencies
    frequencies = set(Contract.objects.values_list("billing_frequency", flat=True))
    assert {"annual", "quarterly", "monthly"} <= frequencies
    terms = set(Contract.objects.values_list("payment_terms", flat=True))
    assert {"NET30", "NET45", "NET60"} <= terms and any("EOM" in t for t in terms)
    assert RampStep.objects.exists()
    assert Contract.objects.filter(status=ContractStatus.PENDING_REVIEW).exists()
    first = book_fingerprint()
    lines = ContractLine.objects.count()

    # A second run keeps the data (in this test's savepoint: the shared book is untouched).
    settings.CELERY_TASK_ALWAYS_EAGER = True  # as `make demo` runs
    call_command("load_demo_data", stdout=StringIO())
    assert book_fingerprint() == first
    assert ContractLine.objects.count() == lines


def test_the_same_seed_gives_the_same_book():
    call_command("load_demo_data", "--seed", "11", "--accounts", "15", "--contracts", "30")
    first = book_fingerprint()
    # Empty the book and everything that hangs off it (schedules, reviews, revenue...).
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks left pending
        cursor.execute(
            "TRUNCATE ordermgmt_account, ordermgmt_product, ordermgmt_opportunity CASCADE"
        )
    call_command("load_demo_data", "--seed", "11", "--accounts", "15", "--contracts", "30")
    assert book_fingerprint() == first
    by_status = dict(Contract.objects.values_list("status").annotate(n=Count("id")))
    assert sum(by_status.values()) == 30


def test_demo_customers_have_distinct_names_without_an_internal_number():
    call_command("load_demo_data", "--seed", "7", "--accounts", "60", "--contracts", "20")
    names = list(Account.objects.values_list("legal_name", flat=True))
    assert len(names) == 60 == len(set(names))
    assert not [n for n in names if "#" in n or any(ch.isdigit() for ch in n)]
