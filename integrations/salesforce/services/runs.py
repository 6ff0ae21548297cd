"""A sync run from start to finish: queue it, hold the lock, read, write, advance.

Order of one run:

1. Take the lock (a lease on one SyncLock row; one run at a time, across workers).
2. Opportunities: the first sync reads every Closed Won deal; later runs read what
   changed since the Opportunity watermark (any stage, deleted ones too), plus deals
   whose line items changed and deals still open as bad records (so a fix made in
   Salesforce to a product or account reaches them).
3. Each page: accounts, billing contacts, products, opportunities and lines in one
   transaction, then the page's new draft contracts, then Salesforce changes to
   existing contracts' terms.
4. Accounts, contacts and products that changed on their own.
5. Contracts still marked pending from an earlier, interrupted run.
6. Only now, with everything read and written, the watermarks move forward (one
   transaction). A run that fails part-way leaves them where they were: the next run
   reads the same records again, and writing them again changes nothing.

Salesforce outages and expired sessions raise to the Celery task, which retries with
backoff; the run shows "retrying" with the error meanwhile, and "failed" at the end.
Logs carry ids and counts only.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import DomainValidationError
from integrations.error_codes import IntegrationError

from ..client import QueryPage, SalesforceClient, SalesforceConfig
from ..errors import SalesforceError, SalesforceNotConfigured, SalesforceRequestRefused
from ..models import (
    ACTIVE_RUN_STATUSES,
    IssueKind,
    IssueStatus,
    LogLevel,
    SyncIssue,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
    SyncWatermark,
)
from .bookings import BookingWriter
from .context import COUNT_KEYS, SyncContext, summarize_counts
from .drafts import (
    draft_page_contracts,
    draft_pending_contracts,
    reconcile_contract_terms,
    sync_user,
)
from .fetch import BookingReader, parse_sf_datetime
from .locks import (  # noqa: F401 - LOCK_NAME is part of this module's interface
    LOCK_NAME,
    _fail_abandoned_runs,
    acquire_lock,
    lock_ttl,
    release_lock,
    renew_lock,
)
from .orgs import run_preflight
from .records import RecordWriter

logger = logging.getLogger("integrations.salesforce.sync")

WATERMARK_OBJECTS = ("Opportunity", "OpportunityLineItem", "Account", "Contact", "Product2")


# --- starting ------------------------------------------------------------------------------


def active_run() -> SyncRun | None:
    """A queued, running or retrying run that is still alive (its lease not expired)."""
    cutoff = timezone.now() - lock_ttl()
    return (
        SyncRun.objects.filter(status__in=ACTIVE_RUN_STATUSES)
        .filter(Q(heartbeat_at__gte=cutoff) | Q(heartbeat_at__isnull=True, created_at__gte=cutoff))
        .order_by("-created_at")
        .first()
    )


@transaction.atomic(durable=True)
def start_sync(*, actor, trigger: str = SyncTrigger.MANUAL, full: bool = False) -> SyncRun:
    """Queue a run and enqueue its task once this transaction commits."""
    if not SalesforceConfig.from_settings().is_configured:
        raise DomainValidationError(
            field="__all__",
            code=IntegrationError.SALESFORCE_NOT_CONFIGURED,
            message="Salesforce is not configured (SALESFORCE_INSTANCE_URL and credentials).",
        )
    running = active_run()
    if running is not None:
        raise DomainValidationError(
            field="__all__",
            code=IntegrationError.SYNC_ALREADY_RUNNING,
            message=f"Sync #{running.pk} is {running.get_status_display().lower()}; "
            "wait for it to finish.",
        )
    run = SyncRun.objects.create(
        trigger=trigger,
        full=full,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    from ..tasks import enqueue_sync

    transaction.on_commit(lambda: enqueue_sync(run.pk))
    return run


def scheduled_run() -> SyncRun | None:
    """For the periodic task: a new run, or None when Salesforce is not configured or a
    run is already under way (the schedule simply tries again next time)."""
    if not SalesforceConfig.from_settings().is_configured:
        logger.info("Salesforce sync skipped: not configured")
        return None
    running = active_run()
    if running is not None:
        logger.info("Salesforce sync skipped: run %s is still %s", running.pk, running.status)
        return None
    return SyncRun.objects.create(trigger=SyncTrigger.SCHEDULE)


# --- running -------------------------------------------------------------------------------


@dataclass
class Watermarks:
    values: dict[str, datetime | None]

    @classmethod
    def load(cls) -> Watermarks:
        stored = dict(SyncWatermark.objects.values_list("sf_object", "system_modstamp"))
        return cls({name: stored.get(name) for name in WATERMARK_OBJECTS})

    def __getitem__(self, name: str) -> datetime | None:
        return self.values[name]


class BookingSync:
    """Reads and writes one run (steps 2 to 5 of this module's docstring)."""

    def __init__(self, run: SyncRun, client: SalesforceClient, ctx: SyncContext) -> None:
        self.run = run
        self.client = client
        self.ctx = ctx
        self.reader = BookingReader(client)
        self.newest: dict[str, datetime | None] = {}
        # Where the time goes: Salesforce (HTTP and parsing), writing records, contracts.
        self.seconds: Counter[str] = Counter()

    @contextmanager
    def timed(self, part: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] += time.perf_counter() - start

    def pages(self, pages: Iterable[QueryPage]) -> Iterator[QueryPage]:
        """The query's pages, timing the wait for each as Salesforce time.

        The next page is asked for (in one helper thread, which only talks to Salesforce)
        while the caller writes this one, so that Salesforce answering and the database
        writing overlap instead of taking turns. Pages still come one after the other,
        each with all its child records read before the next is asked for, and an error
        reading page N+1 is raised only after page N was written, as before."""
        iterator = iter(pages)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesforce-pages") as pool:
            ahead = pool.submit(next, iterator, None)
            while True:
                with self.timed("salesforce"):
                    page = ahead.result()
                if page is None:
                    return
                ahead = pool.submit(next, iterator, None)
                yield page

    def _seen(self, sf_object: str, records: list[dict]) -> None:
        for record in records:
            stamp = parse_sf_datetime(record.get("SystemModstamp"))
            current = self.newest.get(sf_object)
            if stamp and (current is None or stamp > current):
                self.newest[sf_object] = stamp

    def _progress(self, page, phase: str) -> None:
        run = self.run
        if page.first:
            run.total += page.total_size
        run.processed += len(page.records)
        run.phase = phase
        self.save_progress()

    def save_progress(self) -> None:
        run = self.run
        totals = {key: self.ctx.total(key) for key in COUNT_KEYS if key != "ignored"}
        run.heartbeat_at = timezone.now()
        run.http_requests = self.client.request_count
        SyncRun.objects.filter(pk=run.pk).update(
            total=run.total,
            processed=run.processed,
            phase=run.phase,
            heartbeat_at=run.heartbeat_at,
            http_requests=run.http_requests,
            counts_by_object={k: dict(v) for k, v in self.ctx.counts.items()},
            contracts_created=self.ctx.counts["Contract"]["created"],
            timings={k: round(v, 3) for k, v in self.seconds.items()},
            **totals,
        )
        renew_lock(run)
        self.ctx.flush_log()

    def preflight(self) -> None:
        """Describe the org first; stop before reading anything if the mapping can't be
        met, naming every missing field or feature in the run log."""
        self.run.phase = "preflight"
        with self.timed("salesforce"):
            check = run_preflight(self.client)
        for finding in check.findings:
            self.ctx.log(
                finding.message,
                level=LogLevel.ERROR,
                sf_object=finding.sf_object,
                code=finding.code,
            )
        if not check.ok:
            raise SalesforceRequestRefused(check.summary(), code="PREFLIGHT_FAILED")
        self.ctx.log(check.summary(), code="preflight_ok")
        if not check.org.multi_currency:
            self.ctx.log(
                f"Org without multi-currency: every record is in {check.org.default_currency}.",
                code="single_currency",
            )
        self.reader = BookingReader(self.client, check.org)

    def execute(self, watermarks: Watermarks) -> dict[str, datetime | None]:
        self.preflight()
        first = self.run.full or watermarks["Opportunity"] is None
        if first:
            # Read before the bookings, so that a change made while we read is newer.
            with self.timed("salesforce"):
                for name in WATERMARK_OBJECTS:
                    self.newest[name] = self.reader.newest_modstamp(name)
        writer = BookingWriter(self.ctx)
        seen: set[str] = set()

        def write(pages, phase: str) -> None:
            for page in self.pages(pages):
                records = [r for r in page.records if r["Id"] not in seen]
                seen.update(r["Id"] for r in records)
                self._seen("Opportunity", records)
                with self.timed("write"):
                    result = writer.write_page(records)
                    self.ctx.flush_log()
                with self.timed("contracts"):
                    draft_page_contracts(
                        self.ctx,
                        links=result.opportunity_links.values(),
                        opportunities=result.opportunities,
                        accounts=result.accounts,
                    )
                    reconcile_contract_terms(
                        self.ctx, result.opportunity_links, result.remote_terms
                    )
                self._progress(page, phase)

        if first:
            write(self.reader.booked_opportunities(), "opportunities")
        else:
            line_opportunities: set[str] = set()
            line_watermark = watermarks["OpportunityLineItem"] or watermarks["Opportunity"]
            for page in self.pages(self.reader.changed_line_items(line_watermark)):
                self._seen("OpportunityLineItem", page.records)
                line_opportunities.update(
                    r["OpportunityId"] for r in page.records if r.get("OpportunityId")
                )
                self.ctx.read("OpportunityLineItem", (r["Id"] for r in page.records), queried=True)
                self._progress(page, "line items")
            write(self.reader.changed_opportunities(watermarks["Opportunity"]), "opportunities")
            retry = set(
                SyncIssue.objects.filter(
                    status=IssueStatus.OPEN, kind=IssueKind.BAD_RECORD, sf_object="Opportunity"
                ).values_list("sf_id", flat=True)
            )
            extra = sorted((line_opportunities | retry) - seen)
            if extra:
                write(self.reader.opportunities_by_id(extra), "opportunities (lines, retries)")

        records = RecordWriter(self.ctx)
        if first:
            phases = [("Contact", self.reader.booked_billing_contacts())]
        else:
            phases = [
                (name, self.reader.changed_records(name, watermarks[name]))
                for name in ("Account", "Contact", "Product2")
            ]
        for sf_object, pages in phases:
            for page in self.pages(pages):
                self._seen(sf_object, page.records)
                with self.timed("write"):
                    records.write_page(sf_object, page.records)
                self._progress(page, f"{sf_object.lower()} changes")

        self.run.phase = "draft contracts"
        with self.timed("contracts"):
            draft_pending_contracts(self.ctx)
        self.save_progress()
        return {name: self.newest.get(name) or watermarks[name] for name in WATERMARK_OBJECTS}


def _advance_watermarks(run: SyncRun, newest: dict[str, datetime | None]) -> None:
    for sf_object, stamp in newest.items():
        if stamp is None:
            continue
        SyncWatermark.objects.update_or_create(
            sf_object=sf_object, defaults={"system_modstamp": stamp, "run": run}
        )


def _finish(run: SyncRun, status: str, error: str = "") -> None:
    run.transition_to(status)
    run.error = error
    run.finished_at = timezone.now() if status != SyncRunStatus.RETRYING else None
    run.save(update_fields=["status", "error", "finished_at"])


def execute_sync(
    *,
    run: SyncRun,
    final_attempt: bool = True,
    client: SalesforceClient | None = None,
    max_attempts: int | None = None,
) -> SyncRun:
    """Run one attempt of `run`. Raises SalesforceError when it should be retried."""
    run = SyncRun.objects.get(pk=run.pk)
    if run.status in (SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED, SyncRunStatus.SKIPPED):
        return run  # a duplicate delivery of a finished run
    holder = acquire_lock(run)
    if holder is not None:
        if run.can_transition_to(SyncRunStatus.SKIPPED):
            _finish(
                run, SyncRunStatus.SKIPPED, f"Sync #{holder.pk} was running; this run did nothing."
            )
        logger.info("Salesforce sync run %s skipped: run %s holds the lock", run.pk, holder.pk)
        return run
    try:
        _fail_abandoned_runs(run)
        with _commits_without_waiting_for_disk():
            return _execute_locked(run, final_attempt, client, max_attempts)
    finally:
        release_lock(run)


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """PostgreSQL's synchronous_commit=off for this connection while the run writes.

    A run commits once per page and once per draft contract (create_contract is its own
    transaction), and waiting for each flush to disk dominated the run. Turning it off
    risks no inconsistency, only losing the last fraction of a second of commits if the
    database server crashes; commits are never reordered, and the sync repairs such a
    loss by itself: the watermark (committed last) stays behind, so the next run reads the
    same records again, and a contract's pending mark is cleared only after the contract
    committed. Off with SALESFORCE_SYNC_ASYNC_COMMIT=False."""
    use = connection.vendor == "postgresql" and getattr(
        settings, "SALESFORCE_SYNC_ASYNC_COMMIT", True
    )
    if use:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        if use:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _execute_locked(
    run: SyncRun,
    final_attempt: bool,
    client: SalesforceClient | None,
    max_attempts: int | None,
) -> SyncRun:
    now = timezone.now()
    run.transition_to(SyncRunStatus.RUNNING)
    run.attempts = F("attempts") + 1
    run.started_at = run.started_at or now
    run.heartbeat_at = now
    run.error = ""
    run.phase = "connecting"
    # Each attempt starts its progress afresh; issues and records are idempotent.
    run.total = run.processed = 0
    run.save(
        update_fields=[
            "status",
            "attempts",
            "started_at",
            "heartbeat_at",
            "error",
            "phase",
            "total",
            "processed",
        ]
    )
    run.refresh_from_db()
    ctx = SyncContext(run, sync_user())
    attempt = f"attempt {run.attempts}" + (f" of {max_attempts}" if max_attempts else "")
    ctx.log(f"Started ({run.get_trigger_display()}, {attempt}).", code="started")
    logger.info("Salesforce sync run %s started (%s)", run.pk, attempt)
    sync: BookingSync | None = None
    try:
        client = client or SalesforceClient()
        sync = BookingSync(run, client, ctx)
        newest = sync.execute(Watermarks.load())
    except SalesforceError as error:
        if sync is not None:
            sync.save_progress()
        retry = error.retryable and not final_attempt
        status = SyncRunStatus.RETRYING if retry else SyncRunStatus.FAILED
        message = error.message + (" Retrying with backoff." if retry else "")
        ctx.log(message, level=LogLevel.ERROR, code=error.code or type(error).__name__)
        ctx.flush_log()
        _finish(run, status, message)
        logger.warning(
            "Salesforce sync run %s %s: %s %s",
            run.pk,
            status,
            type(error).__name__,
            error.code,
        )
        if retry:
            raise
        return run
    except Exception as error:
        if sync is not None:
            sync.save_progress()
        # The message may quote data (a database error names the values): log the type.
        message = f"Unexpected error ({type(error).__name__}); nothing after it was written."
        ctx.log(message, level=LogLevel.ERROR, code="unexpected_error")
        ctx.flush_log()
        _finish(run, SyncRunStatus.FAILED, message)
        logger.error(
            "Salesforce sync run %s failed: %s",
            run.pk,
            type(error).__name__,
            exc_info=settings.DEBUG,  # tracebacks can quote record values: not in production
        )
        return run
    with transaction.atomic():
        _advance_watermarks(run, newest)
        run.phase = "done"
        sync.save_progress()
        ctx.log(
            f"Finished: {summarize_counts(ctx.counts)} Bad records skipped: "
            f"{ctx.total('skipped')}, errors: {ctx.total('errors')}, conflicts: "
            f"{ctx.total('conflicts')}, flagged: {ctx.total('flagged')}.",
            code="finished",
        )
        ctx.flush_log()
        _finish(run, SyncRunStatus.SUCCEEDED)
    logger.info(
        "Salesforce sync run %s succeeded: %s fetched, %s created, %s updated, %s requests",
        run.pk,
        ctx.total("fetched"),
        ctx.total("created"),
        ctx.total("updated"),
        run.http_requests,
    )
    return SyncRun.objects.get(pk=run.pk)


def run_sync_now(*, actor=None, trigger: str = SyncTrigger.COMMAND, full: bool = False) -> SyncRun:
    """Synchronously, in this process (the management command)."""
    if not SalesforceConfig.from_settings().is_configured:
        raise SalesforceNotConfigured(
            "Salesforce is not configured: set SALESFORCE_INSTANCE_URL and credentials.",
            code="NOT_CONFIGURED",
        )
    run = SyncRun.objects.create(
        trigger=trigger, full=full, requested_by=actor if getattr(actor, "pk", None) else None
    )
    return execute_sync(run=run, final_attempt=True)
