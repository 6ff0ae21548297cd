"""python manage.py write_off_small_balances [--as-of DATE] [--max 1.00 --currency USD]"""

import json
from datetime import date
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.writeoffs.services import batch_report, write_off_small_balances
from core.errors import DomainValidationError


class Command(BaseCommand):
    help = "Write off overdue balances up to the small-balance limit, in one batch."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat)
        parser.add_argument("--max", type=Decimal, help="Maximum balance (with --currency).")
        parser.add_argument("--currency")

    def handle(self, *args, **options):
        try:
            batch = write_off_small_balances(
                as_of=options["as_of"] or timezone.localdate(),
                actor=None,
                max_amount=options["max"],
                currency=options["currency"],
            )
        except DomainValidationError as err:
            raise CommandError(err.message) from err
        self.stdout.write(json.dumps(batch_report(batch), indent=2))
