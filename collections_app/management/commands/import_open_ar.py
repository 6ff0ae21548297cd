"""manage.py import_open_ar FILE.csv --cutover YYYY-MM-DD [--user NAME]

Imports open AR from another system (format: collections_app.reports.ar_import). Every
row is validated; if any is bad, each error is printed with its line number, field and
reason, nothing is imported, and the command exits with status 1.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collections_app.reports.ar_import import OpenArImportRejected, import_open_ar
from core.errors import DomainValidationError


class Command(BaseCommand):
    help = "Import open invoices (opening AR balances) from a CSV file, all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, header line first")
        parser.add_argument(
            "--cutover",
            type=date.fromisoformat,
            default=None,
            help="Cut-over date (YYYY-MM-DD); the settled part is dated on it. Default: today.",
        )
        parser.add_argument("--user", default=None, help="Username recorded as the importer")

    def handle(self, *args, file: Path, cutover: date | None, user: str | None, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            content = file.read_bytes()
        except OSError as err:
            raise CommandError(f"Cannot read {file}: {err.strerror}") from err
        try:
            result = import_open_ar(
                content=content, cutover_date=cutover or timezone.localdate(), actor=actor
            )
        except OpenArImportRejected as err:
            for error in err.errors:
                self.stderr.write(f"{file.name}:{error.line}: {error.field}: {error.message}")
            raise CommandError(err.message) from err
        except DomainValidationError as err:
            raise CommandError(f"{err.field}: {err.message}") from err
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.count} open invoices, cut-over {result.cutover_date}."
            )
        )
        for currency, (original, open_amount) in result.totals.items():
            self.stdout.write(f"  {currency}: original {original}, open {open_amount}")
