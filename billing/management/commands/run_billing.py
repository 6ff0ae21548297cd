"""`manage.py run_billing --date 2026-12-01 [--dry-run]`: bill (or preview) everything due
by a date, in this process, and print what it made and what it skipped."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.models import BillingRun, BillingRunStatus, ExceptionReason
from billing.services import default_legal_entity, execute_billing_run, queue_billing_run
from billing.services import runs as run_services
from core.errors import DomainValidationError
from core.money import format_money


@contextlib.contextmanager
def run_here() -> Iterator[None]:
    """Queue without handing the run to Celery: this command executes it itself, so a
    worker (with a broker) or eager mode (without) does not execute it a second time."""
    hooks = list(run_services.ON_RUN_QUEUED)
    run_services.ON_RUN_QUEUED.clear()
    try:
        yield
    finally:
        run_services.ON_RUN_QUEUED[:] = hooks


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from err


class Command(BaseCommand):
    help = "Bill every pending schedule line due by a date (or preview it with --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", required=True, help="Run date, YYYY-MM-DD")
        parser.add_argument(
            "--dry-run", action="store_true", help="Preview: compute, write no invoice"
        )

    def handle(self, *args, **options) -> None:
        run_date = parse_date(options["date"])
        dry_run = options["dry_run"]
        try:
            default_legal_entity()
            with run_here():
                run = queue_billing_run(run_date=run_date, actor=None, dry_run=dry_run)
        except DomainValidationError as err:
            raise CommandError(f"{err.field}: {err.message}") from err
        try:
            run = execute_billing_run(run=run)
        except Exception as err:
            run = BillingRun.objects.get(pk=run.pk)
            raise CommandError(f"Billing run #{run.pk} failed: {run.error or err}") from err
        self.print_summary(run)

    def print_summary(self, run: BillingRun) -> None:
        write = self.stdout.write
        kind = "Preview" if run.dry_run else "Billing run"
        seconds = (run.finished_at - run.started_at).total_seconds() if run.started_at else 0
        write(
            f"{kind} #{run.pk} for {run.run_date}: {run.get_status_display().lower()} "
            f"in {seconds:.1f} s, {run.groups_total} contract(s) due."
        )
        if run.status != BillingRunStatus.COMPLETED:
            return
        verb = "would make" if run.dry_run else "made"
        by_currency = (run.totals or {}).get("by_currency") or {}
        if by_currency:
            write(f"Invoices it {verb}, per currency:")
            for currency, values in by_currency.items():
                count = values["invoices"]
                noun = "invoice" if count == 1 else "invoices"
                write(f"  {currency}: {count} {noun}, {format_money(values['total'], currency)}")
        else:
            write(f"Invoices it {verb}: none.")
        skipped = self.skipped(run)
        if not skipped:
            write("Skipped: none.")
            return
        write(f"Skipped {len(skipped)} contract(s):")
        for reference, account, reason, message in skipped:
            write(f"  {reference}  {account}: {reason} ({message})")

    def skipped(self, run: BillingRun) -> list[tuple[str, str, str, str]]:
        """A real run records its skips as exceptions; a preview keeps them in its rows."""
        if run.dry_run:
            reasons = dict(ExceptionReason.choices)
            return [
                (row["reference"], row["account"], reasons[row["skipped"]], row["message"])
                for row in sorted(run.preview, key=lambda r: (r.get("skipped", ""), r["contract"]))
                if "skipped" in row
            ]
        return [
            (e.contract.reference, e.account.legal_name, e.get_reason_display(), e.message)
            for e in run.exceptions.select_related("contract", "account").order_by(
                "reason", "contract_id"
            )
        ]
