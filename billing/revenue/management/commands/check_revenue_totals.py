"""`manage.py check_revenue_totals [--repair]`: recompute the maintained revenue totals
(billing.revenue.models_totals) from every schedule line and list where they differ;
exits non-zero if any do. --repair refills both tables from the lines (one statement
each, in one transaction). PostgreSQL only: the SQLite demo reads the lines."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from billing.revenue.selectors.totals import refill_revenue_totals, revenue_totals_drift


class Command(BaseCommand):
    help = "Check the maintained revenue totals against the schedule lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="refill them from the lines")

    def handle(self, *args, repair: bool = False, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The maintained revenue totals are PostgreSQL's.")
        drift = revenue_totals_drift()
        for table, contract_id, currency, key, kept, recomputed in drift[:50]:
            self.stdout.write(
                f"{table} contract {contract_id} {currency} {key}: kept {kept}, "
                f"from the lines {recomputed}"
            )
        if not drift:
            self.stdout.write("The revenue totals agree with the schedule lines.")
            return
        if repair:
            with transaction.atomic():
                refill_revenue_totals()
            self.stdout.write(f"{len(drift)} differences; refilled from the lines.")
            return
        raise CommandError(f"{len(drift)} differences between the totals and the lines.")
