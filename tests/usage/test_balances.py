"""Balances for people (granted, used, expired, remaining, burn, projected exhaustion) and
threshold alerts sent once per threshold."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from billing.usage.models import BalanceAlert
from billing.usage.selectors import commitment_balances, commitments_for
from billing.usage.services.alerts import send_balance_alerts
from billing.usage.services.ledger import grant_commitment
from tests.usage.factories import commitment_terms, ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db


def test_a_balance_shows_use_burn_rate_and_projected_exhaustion(finance):
    contract = usage_contract()
    grant_commitment(**commitment_terms(contract), actor=None)  # 1,000.00 prepaid
    ingest_usage(contract, ((1, 10), 6000))  # 600.00 in January
    run_billing(date(2026, 2, 1))
    (balance,) = commitment_balances(commitments_for(contract_id=contract.pk), date(2026, 2, 1))
    assert (balance.granted, balance.used, balance.expired, balance.remaining) == (
        Decimal("1000.00"),
        Decimal("600.00"),
        Decimal("0"),
        Decimal("400.00"),
    )
    # 600.00 over the 31 days of January = 19.3548 a day; 400.00 lasts 20 more days.
    assert balance.burn_per_day == Decimal("19.3548")
    assert balance.projected_exhaustion == date(2026, 2, 20)
    client = APIClient()
    client.force_authenticate(finance)
    response = client.get(
        "/api/v1/usage/balances/", {"account": contract.account_id, "as_of": "2026-02-01"}
    )
    assert response.status_code == 200
    assert (response.data[0]["remaining"], response.data[0]["projected_exhaustion"]) == (
        "400.0000",
        "2026-02-20",
    )
    # As of 30 January nothing was drawn yet: the ledger answers for any date.
    (before,) = commitment_balances(commitments_for(contract_id=contract.pk), date(2026, 1, 30))
    assert (before.used, before.remaining) == (Decimal("0"), Decimal("1000.00"))


def test_the_customer_page_lists_commitments_with_their_balance(client, finance):
    contract = usage_contract()
    grant_commitment(**commitment_terms(contract, name="Platform commit"), actor=None)
    client.force_login(finance)
    page = client.get(reverse("billing:account_detail", args=[contract.account_id]))
    assert page.status_code == 200
    assert b"usage-balances" in page.content and b"Platform commit" in page.content
    # Money as people read it: the 1,000.00 grant formatted in its currency, not 1000.0000.
    assert "$1,000.00" in page.content.decode() and "1000.0000" not in page.content.decode()


def test_a_threshold_alert_is_sent_once_however_often_the_check_runs(
    django_capture_on_commit_callbacks,
):
    contract = usage_contract()
    commitment = grant_commitment(**commitment_terms(contract), actor=None)
    ingest_usage(contract, ((1, 10), 8500))  # 850.00 of 1,000.00: 85 %
    with django_capture_on_commit_callbacks(execute=True):
        run_billing(date(2026, 2, 1))  # the run checks thresholds after it commits
    for _ in range(2):  # the daily check, twice
        with django_capture_on_commit_callbacks(execute=True):
            send_balance_alerts(as_of=date(2026, 2, 2))
    assert list(BalanceAlert.objects.values_list("commitment", "threshold")) == [
        (commitment.pk, 80)
    ]
    assert len(mail.outbox) == 1 and "80% used" in mail.outbox[0].subject
    ingest_usage(contract, ((2, 10), 2000), prefix="feb")  # 200.00 more: 100 % used
    with django_capture_on_commit_callbacks(execute=True):
        run_billing(date(2026, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        send_balance_alerts(as_of=date(2026, 3, 2))
    assert sorted(BalanceAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    assert len(mail.outbox) == 2


def test_the_customer_page_draws_each_commitments_burn_down_from_its_ledger(
    client, finance, settings
):
    import re

    from django.utils import timezone

    contract = usage_contract()
    commitment = grant_commitment(**commitment_terms(contract, name="Platform commit"), actor=None)
    # Granted 1,000.00 on 1 Jan; January's 6,000 calls = 600.00 drawn as of 31 Jan.
    ingest_usage(contract, ((1, 10), 6000))
    run_billing(date(2026, 2, 1))
    client.force_login(finance)
    page = client.get(reverse("billing:account_detail", args=[contract.account_id])).content
    chart = page.decode().split(f'id="burn-down-{commitment.pk}"')[1].split("</figure>")[0]
    assert "Platform commit: $400.00 of $1,000.00 left" in chart
    # One mark per day the balance moved, at its balance after that day.
    assert re.findall(r"<title>([^<]+)</title></circle>", chart) == [
        "1 Jan 2026: $1,000.00",
        "31 Jan 2026: $400.00",
    ]
    # The axis tops at 1k; 1 Jan is at the left edge (x 44) and the full grant at the top.
    assert 'cx="44.0" cy="10.0"' in chart
    # 400.00 is 40 % of the 1k axis: y = 118 - 108 x 0.4 = 74.8.
    assert 'cy="74.8"' in chart
    if timezone.localdate() < date(2026, 12, 31):  # still running: where the use leads
        assert 'class="projection"' in chart
