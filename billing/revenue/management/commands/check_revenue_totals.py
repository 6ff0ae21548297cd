"""`manage.py check_revenue_totals [--repair] [--compact]`: recompute the maintained
revenue totals (billing.revenue.models_totals) from every schedule line, and the billed
movements from every invoice and credit note line, and list where they differ; exits
non-zero if any do. --repair refills the tables from the lines (one statement each, in
one transaction). --compact first folds the append-only currency-month rows to one per
key (for a nightly run). PostgreSQL only: the SQLite demo reads the lines."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from billing.revenue.selectors.totals import (
    compact_scheduled_months,
    refill_revenue_totals,
    revenue_totals_drift,
)


class Command(BaseCommand):
    help = "Check the maintained revenue totals against the schedule lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="refill them from the lines")
        parser.add_argument(
            "--compact", action="store_true", help="fold the currency months' appended rows"
        )

    def handle(self, *args, repair: bool = False, compact: bool = False, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The maintained revenue totals are PostgreSQL's.")
        if compact:
            with transaction.atomic():
                done = compact_scheduled_months()
            self.stdout.write(
                "Currency months compacted." if done else "Another compaction is running."
            )
        drift = revenue_totals_drift()
        for table, contract_id, currency, key, kept, recomputed in drift[:50]:
            self.stdout.write(
                f"{table} contract {contract_id} {currency} {key}: kept {kept}, "
                f"from the lines {recomputed}"
            )
        if not drift:
            self.stdout.write(
                "The revenue totals agree with the schedule lines and billing documents."
            )
            return
        if repair:
            with transaction.atomic():
                refill_revenue_totals()
            self.stdout.write(f"{len(drift)} differences; refilled from the lines.")
            return
        raise CommandError(f"{len(drift)} differences between the totals and the lines.")
