"""`make demo`'s loading, in one process: the database's migrations, the demo book and its
history, each step printing what it loaded and the seconds it took.

One process rather than a `manage.py` per step: each start imports Django and every app
and runs the system checks again, seconds each on a busy machine, for nothing new.
Each step is the command of the same name and can still run alone.
"""

from __future__ import annotations

import io
import time
from datetime import time as clock_time
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from ordermgmt.demo_clock import clock_at

DUNNING_DAYS = 60

STEPS = [
    ("migrate", {"interactive": False, "verbosity": 0}),
    ("load_demo_data", {}),
    ("load_billing_demo", {}),
    ("load_usage_demo", {}),
    ("load_fx_rates", {}),
    ("load_bank_demo", {}),
    ("run_dunning", {}),
]


class Command(BaseCommand):
    help = "Migrate and load the whole demo (book, billing history, usage, FX, bank, dunning)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, help="load_demo_data's (default 220)")
        parser.add_argument("--contracts", type=int, help="load_demo_data's (default 540)")
        parser.add_argument("--months", type=int, help="load_billing_demo's (default 12)")

    def handle(self, *args, accounts, contracts, months, **options):
        sizes = {
            "load_demo_data": {"accounts": accounts, "contracts": contracts},
            "load_billing_demo": {"months": months},
        }
        # The demo serves with DEBUG on; loading does not need the debug cursor, which
        # logs every query's SQL (on SQLite, one more SELECT per query to quote it).
        debug, settings.DEBUG = settings.DEBUG, False
        try:
            self.load(sizes)
        finally:
            settings.DEBUG = debug

    def load(self, sizes: dict) -> None:
        started = time.monotonic()
        for name, step_options in STEPS:
            step_options = {
                **step_options,
                **{k: v for k, v in sizes.get(name, {}).items() if v is not None},
            }
            self.stdout.write(f"== {name} …")
            self.stdout.flush()
            step_started = time.monotonic()
            if name == "run_dunning":
                self.dunning_history()
            call_command(name, stdout=self.stdout._out, stderr=self.stderr._out, **step_options)
            now = time.monotonic()
            self.stdout.write(
                f"== {name} done in {now - step_started:.0f} s ({now - started:.0f} s so far)"
            )
            self.stdout.flush()

    def dunning_history(self) -> None:
        """The daily dunning run of the last DUNNING_DAYS days, each on its own day, so the
        reminders and calls carry the dates they were sent (`run_dunning --catch-up-days`
        runs the same days, stamped today). One line a day; today's run prints its list."""
        today = timezone.localdate()
        for back in range(DUNNING_DAYS, 0, -1):
            day = today - timedelta(days=back)
            report = io.StringIO()
            with clock_at(day, clock_time(7)):
                call_command("run_dunning", as_of=day, stdout=report)
            self.stdout.write(f"  dunning {report.getvalue().strip().splitlines()[-1]}")
