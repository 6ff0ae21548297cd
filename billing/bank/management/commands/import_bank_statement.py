"""python manage.py import_bank_statement FILE [--format camt053|bai2|mt940] [--no-auto-apply]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.bank.parsers import FILE_FORMATS
from billing.bank.selectors import matching_share
from billing.bank.services import import_bank_statement
from core.errors import DomainValidationError


class Command(BaseCommand):
    help = (
        "Import a bank statement file (CAMT.053, BAI2 or MT940) and match its credits "
        "to open invoices."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format",
            default=None,
            choices=[code for code, _ in FILE_FORMATS],
            help="Default: what the file's first characters announce.",
        )
        parser.add_argument(
            "--no-auto-apply",
            action="store_true",
            help="Leave even exact matches in the queue (default: the setting decides).",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            result = import_bank_statement(
                content=path.read_bytes(),
                actor=None,
                file_name=path.name,
                file_format=options["format"],
                auto_apply=False if options["no_auto_apply"] else None,
            )
        except DomainValidationError as err:
            raise CommandError(f"{path.name} was not imported: {err.message}") from err
        share = matching_share()
        self.stdout.write(
            f"{path.name}: {result.created} new transactions, {result.already_imported} "
            f"already imported, {result.auto_applied} applied automatically. "
            f"All statements: {share.auto_applied} of {share.credits} credits applied "
            f"automatically ({share.auto_share}%), {share.still_open} to match."
        )
