"""python manage.py run_dunning [--as-of YYYY-MM-DD] [--dry-run] [--json] [--catch-up-days N]

--catch-up-days N runs every day from N days before --as-of up to it, in order, as the
daily task would have (the demo uses it to give its history reminders and calls)."""

import json
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collections_app.dunning.run import run_dunning
from core.errors import DomainValidationError


class Command(BaseCommand):
    help = "Send the dunning reminders due as of a date, or list them with --dry-run."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, help="Default: today.")
        parser.add_argument("--dry-run", action="store_true", help="List; send nothing.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--catch-up-days", type=int, default=0, help="Run the N days before too."
        )

    def handle(self, *args, as_of, dry_run, **options):
        as_of = as_of or timezone.localdate()
        days = max(0, min(options["catch_up_days"], 366))
        if days and not dry_run:
            for back in range(days, 0, -1):
                day = as_of - timedelta(days=back)
                totals = run_dunning(as_of=day).totals
                self.stdout.write(
                    f"{day}: " + ", ".join(f"{k} {v}" for k, v in totals.items() if v)
                )
        try:
            report = run_dunning(as_of=as_of, dry_run=dry_run)
        except DomainValidationError as err:
            raise CommandError(err.message) from err
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        verb = "Would do" if dry_run else "Done"
        for line in report.lines:
            to = f" to {', '.join(line.recipients)}" if line.recipients else ""
            self.stdout.write(
                f"{line.outcome:<18} {line.invoice_number:<18} {line.account_name[:40]:<40} "
                f"{line.open_amount:>16}{to} — {line.why}"
            )
        totals = ", ".join(f"{k} {v}" for k, v in report.totals.items() if v)
        self.stdout.write(f"{verb} as of {as_of}: {totals or 'nothing due'}.")
