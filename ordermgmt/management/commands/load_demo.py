"""`make demo`'s loading, in one process: the database's migrations, the demo book and its
history, each step printing what it loaded and the seconds it took.

One process rather than a `manage.py` per step: each start imports Django and every app
and runs the system checks again, seconds each on a busy machine, for nothing new.
Each step is the command of the same name and can still run alone.
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

STEPS = [
    ("migrate", {"interactive": False, "verbosity": 0}),
    ("load_demo_data", {}),
    ("load_billing_demo", {}),
    ("load_usage_demo", {}),
    ("load_fx_rates", {}),
    ("load_bank_demo", {}),
    ("run_dunning", {"catch_up_days": 60}),
]


class Command(BaseCommand):
    help = "Migrate and load the whole demo (book, billing history, usage, FX, bank, dunning)."

    def handle(self, *args, **options):
        started = time.monotonic()
        for name, step_options in STEPS:
            self.stdout.write(f"== {name} …")
            self.stdout.flush()
            step_started = time.monotonic()
            call_command(name, stdout=self.stdout._out, stderr=self.stderr._out, **step_options)
            now = time.monotonic()
            self.stdout.write(
                f"== {name} done in {now - step_started:.0f} s ({now - started:.0f} s so far)"
            )
            self.stdout.flush()
