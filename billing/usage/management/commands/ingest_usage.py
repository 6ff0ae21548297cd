"""Ingest usage events from a CSV or JSON lines file through the same service as the API.

manage.py ingest_usage events.csv
manage.py ingest_usage events.jsonl --format jsonl --accept-valid
"""

from __future__ import annotations

import io
import json

from django.core.management.base import BaseCommand, CommandError

from billing.usage.parsers import jsonl_events
from billing.usage.services.ingestion import ingest_usage_csv, ingest_usage_events


class Command(BaseCommand):
    help = "Ingest usage events (CSV with a header row, or JSON lines); idempotent by event id."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--format", choices=["csv", "jsonl"], default=None)
        parser.add_argument(
            "--accept-valid",
            action="store_true",
            help="Write the valid events even when some are rejected (default: none then).",
        )

    def handle(self, *args, **options):
        path = options["path"]
        kind = options["format"] or ("jsonl" if path.endswith((".jsonl", ".ndjson")) else "csv")
        try:
            handle = open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        with handle:
            if kind == "csv":  # read whole: PostgreSQL splits a plain file itself
                batch = ingest_usage_csv(
                    data=handle.read(), source="command:csv", accept_valid=options["accept_valid"]
                )
            else:
                lines = io.TextIOWrapper(handle, encoding="utf-8", newline="")
                batch = ingest_usage_events(
                    events=jsonl_events(lines),
                    source="command:jsonl",
                    accept_valid=options["accept_valid"],
                )
        self.stdout.write(
            f"batch {batch.pk}: {batch.received} received, {batch.accepted} accepted, "
            f"{batch.duplicates} duplicates, {batch.rejected} rejected"
            + (" (nothing written)" if batch.refused else "")
        )
        for rejection in batch.rejections:
            self.stdout.write(json.dumps(rejection))
        if batch.refused:
            raise CommandError("Rejected events: nothing was written. Fix the lines listed.")
