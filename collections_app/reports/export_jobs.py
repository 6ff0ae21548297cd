"""Export jobs: every open document of every customer, written in the background.

`request_export` records an ExportJob and queues the Celery task, which calls
`build_export`: rows stream from the database (exports.export_rows), go through the
same writers as a direct download into a scratch file, and progress (rows done / rows
total) is saved every chunk. The file goes to the default storage under
exports/<job id>/, for the user who asked (or an Admin); the ExportLog entry is written
when the file is stored.

A job is built by one attempt at a time: the attempt claims it (a UUID on the row, under
a row lock), and only the holder may store the file and write the log entry, in one
transaction, at a fixed file name. So a duplicated or retried delivery of the task
makes neither a second file nor a second log entry: it finds the job done (nothing to
do), or held by a live attempt (it retries later, by when the job is done, or the
holder's heartbeat is stale and it takes over).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from datetime import date, timedelta
from typing import BinaryIO

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from collections_app.error_codes import CollectionsError
from collections_app.models import ExportJob, ExportJobStatus
from core.errors import DomainValidationError
from ordermgmt import roles
from ordermgmt.models import Account

from .aging import AgingParams
from .exports import FORMATS, REPORTS, export_rows, file_name, log_export, write_rows

logger = logging.getLogger(__name__)

# A running job whose heartbeat (saved every chunk) is older than this has lost its
# worker; a new attempt may take it over.
STALE_AFTER = timedelta(minutes=10)


class ExportJobBusy(Exception):
    """Another attempt holds the job and is alive: try again later (the task retries)."""


class _Superseded(Exception):
    """This attempt no longer holds the job (a newer one took it over)."""


def export_parameters(params: AgingParams, account_id: int | None = None) -> dict:
    parameters = params.as_dict()
    if account_id:
        parameters["account"] = account_id
    return parameters


def job_visible_to(job: ExportJob, user) -> bool:
    """A job's progress and file are for the user who asked for it, and for Admins."""
    return job.user_id == user.pk or roles.has_role(user, roles.ADMIN)


@transaction.atomic(durable=True)
def request_export(
    *,
    user,
    report: str,
    file_format: str,
    params: AgingParams,
    account_id: int | None = None,
) -> ExportJob:
    """Record an export job and queue its build (after commit). Permission is checked
    at the edge; bad choices raise DomainValidationError and record nothing."""
    if report not in REPORTS:
        raise DomainValidationError(
            field="report",
            code=CollectionsError.UNKNOWN_REPORT,
            message=f"report is one of {', '.join(sorted(REPORTS))}.",
        )
    if file_format not in FORMATS:
        raise DomainValidationError(
            field="file_format",
            code=CollectionsError.UNKNOWN_FORMAT,
            message=f"file_format is one of {', '.join(sorted(FORMATS))}.",
        )
    if account_id is not None and not Account.objects.filter(pk=account_id).exists():
        raise DomainValidationError(
            field="account",
            code=CollectionsError.UNKNOWN_ACCOUNT,
            message=f"No account {account_id}.",
        )
    parameters = export_parameters(params, account_id)
    job = ExportJob.objects.create(
        user=user,
        report=report,
        file_format=file_format,
        parameters=parameters,
        file_name=file_name(report, parameters, file_format),
    )
    transaction.on_commit(lambda: _queue_build(job.pk))
    return job


def _queue_build(job_id: int) -> None:
    from collections_app.tasks import build_export_file

    try:
        build_export_file.delay(job_id)
    except Exception as exc:  # the job is committed: say on it why it did not run
        logger.error("could not queue export job %s (%s)", job_id, type(exc).__name__)
        ExportJob.transition_rows(
            ExportJob.objects.filter(pk=job_id),
            from_status=ExportJobStatus.QUEUED,
            to_status=ExportJobStatus.FAILED,
            error="The export could not be queued; ask for it again.",
            finished_at=timezone.now(),
        )


def _params_of(job: ExportJob) -> tuple[AgingParams, int | None]:
    p = job.parameters
    params = AgingParams(
        as_of=date.fromisoformat(p["as_of"]),
        basis=p["basis"],
        edges=tuple(p["edges"]),
        currency=p.get("currency") or None,
        reporting_currency=p["reporting_currency"],
    )
    return params, p.get("account")


@transaction.atomic(durable=True)
def _claim(job_id: int) -> uuid.UUID | None:
    job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.finished:
        return None  # gone, or done/failed already: a duplicate delivery has nothing to do
    now = timezone.now()
    alive = job.heartbeat_at and now - job.heartbeat_at < STALE_AFTER
    if job.status == ExportJobStatus.RUNNING and alive:
        raise ExportJobBusy(job_id)
    job.transition_to(ExportJobStatus.RUNNING)
    job.attempt = uuid.uuid4()
    job.started_at = job.heartbeat_at = now
    job.rows_done = 0
    job.save(update_fields=["status", "attempt", "started_at", "heartbeat_at", "rows_done"])
    return job.attempt


def _save_progress(job_id: int, attempt: uuid.UUID, done: int, total: int) -> None:
    updated = ExportJob.objects.filter(
        pk=job_id, attempt=attempt, status=ExportJobStatus.RUNNING
    ).update(rows_done=done, rows_total=total, heartbeat_at=timezone.now())
    if not updated:
        raise _Superseded


def _stored_name(job: ExportJob) -> str:
    return job.file.field.generate_filename(job, job.file_name)


@transaction.atomic(durable=True)
def _store(*, job_id: int, attempt: uuid.UUID, content: BinaryIO, rows: int, data_rows: int):
    job = ExportJob.objects.select_for_update().select_related("user").get(pk=job_id)
    if job.attempt != attempt or job.status != ExportJobStatus.RUNNING:
        raise _Superseded
    storage, name = job.file.storage, _stored_name(job)
    if storage.exists(name):
        storage.delete(name)  # left by an attempt that died before it committed
    job.file.save(job.file_name, File(content), save=False)
    job.export_log = log_export(
        user=job.user,
        report=job.report,
        file_format=job.file_format,
        parameters=job.parameters,
        rows=data_rows,
    )
    job.transition_to(ExportJobStatus.DONE)
    job.rows_done = job.rows_total = rows
    job.finished_at = job.heartbeat_at = timezone.now()
    job.save()
    return job


def _failure_text(exc: Exception, job: ExportJob) -> str:
    if isinstance(exc, DomainValidationError):
        return exc.message
    # Only the kind of error: its text may quote customer data.
    return (
        f"The export stopped after {job.rows_done:,} rows ({type(exc).__name__}). "
        "Ask for it again; if it fails again, tell the administrator."
    )


@transaction.atomic(durable=True)
def _fail(job_id: int, attempt: uuid.UUID, exc: Exception) -> ExportJob:
    job = ExportJob.objects.select_for_update().get(pk=job_id)
    if job.attempt != attempt or job.status != ExportJobStatus.RUNNING:
        return job
    job.transition_to(ExportJobStatus.FAILED)
    job.error = _failure_text(exc, job)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    storage, name = job.file.storage, _stored_name(job)
    if storage.exists(name):
        storage.delete(name)  # a failed job has no file
    return job


def build_export(*, job_id: int) -> ExportJob | None:
    """Build a job's file, in chunks, saving progress; then store it and log the export.

    Not one transaction (progress must show while it runs): a claim, progress saves,
    and the store (file, ExportLog, status done) are each their own, so the file and
    the log entry appear together or not at all. Idempotent: a job that is done or
    failed is returned as it is; one held by a live attempt raises ExportJobBusy."""
    attempt = _claim(job_id)
    if attempt is None:
        return ExportJob.objects.filter(pk=job_id).first()
    job = ExportJob.objects.get(pk=job_id)
    try:
        params, account_id = _params_of(job)
        source = export_rows(job.report, params, account_id=account_id)
        _save_progress(job_id, attempt, 0, source.rows_total)
        with tempfile.TemporaryFile() as scratch:
            rows = write_rows(
                scratch,
                job.file_format,
                source,
                on_progress=lambda done: _save_progress(job_id, attempt, done, source.rows_total),
            )
            scratch.seek(0)
            job = _store(
                job_id=job_id,
                attempt=attempt,
                content=scratch,
                rows=rows,
                data_rows=source.data_rows,
            )
    except _Superseded:
        return ExportJob.objects.get(pk=job_id)
    except Exception as exc:
        # Ids and the error's kind only: customer data stays out of the application log.
        logger.warning("export job %s failed (%s)", job_id, type(exc).__name__)
        return _fail(job_id, attempt, exc)
    logger.info(
        "export job %s (%s.%s) by user %s: %d rows (log %s)",
        job.pk,
        job.report,
        job.file_format,
        job.user_id,
        source.data_rows,
        job.export_log_id,
    )
    return job
