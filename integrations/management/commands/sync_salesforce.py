"""python manage.py sync_salesforce [--full | --check]: one booking sync from Salesforce, in
this process (no worker needed), against the instance in the SALESFORCE_* settings; prints
the summary. Every run starts with the preflight (describe of the objects) and stops
before reading anything when the org lacks a field the mapping needs; `--check` runs only
the preflight and lists what is missing. Exit status 1 when the run or check failed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.salesforce import selectors
from integrations.salesforce.errors import SalesforceError
from integrations.salesforce.models import IssueStatus, SyncIssue, SyncRunStatus
from integrations.salesforce.services import check_salesforce_org, run_sync_now


class Command(BaseCommand):
    help = "Sync Closed Won opportunities from Salesforce once and print the summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full",
            action="store_true",
            help="ignore the watermarks and read every Closed Won opportunity again",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the org's setup (fields, features, permissions); read nothing",
        )

    def check(self) -> None:
        try:
            preflight = check_salesforce_org()
        except SalesforceError as error:
            raise CommandError(error.message) from error
        for finding in preflight.findings:
            self.stdout.write(f"  missing: {finding.message} [{finding.code}]")
        if not preflight.ok:
            raise CommandError(preflight.summary())
        self.stdout.write(preflight.summary())

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Salesforce: {selectors.connection_summary()}")
        if options["check"]:
            self.check()
            return
        try:
            run = run_sync_now(full=options["full"])
        except SalesforceError as error:
            raise CommandError(error.message) from error
        seconds = run.duration_seconds or 0.0
        self.stdout.write(
            f"Sync #{run.pk}: {run.get_status_display()} in {seconds:.1f} s, "
            f"{run.http_requests} HTTP requests"
        )
        if run.timings:
            self.stdout.write(
                "  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(run.timings.items()))
            )
        self.stdout.write(f"  {selectors.run_summary(run)}")
        for key, label in selectors.COUNT_LABELS:
            self.stdout.write(f"  {label:<24}{getattr(run, key):>8}")
        for sf_object, counts in sorted(run.counts_by_object.items()):
            details = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            self.stdout.write(f"  {sf_object}: {details}")
        open_issues = SyncIssue.objects.filter(status=IssueStatus.OPEN).count()
        self.stdout.write(f"Open sync issues: {open_issues}")
        if run.status != SyncRunStatus.SUCCEEDED:
            raise CommandError(f"Sync #{run.pk} {run.status}: {run.error}")
