"""An export job end to end on a real Celery worker through Redis: asking for the export
commits the job and queues the task; the worker builds the file with progress, stores
it and logs it once, and a second delivery of the same task changes nothing."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from collections_app.models import ExportJob, ExportJobStatus, ExportLog
from collections_app.reports import export_jobs, exports
from collections_app.reports.aging import (
    AgingParams,
    ar_aging,
)
from collections_app.reports.aging_documents import (
    aging_documents,
)
from collections_app.tasks import build_export_file
from config.celery import app
from ordermgmt import roles
from tests.collections.test_aging_book import later_events, worked_example_book
from tests.factories import UserFactory


@pytest.fixture
def celery_on_redis(settings, monkeypatch, tmp_path):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no broker for a real worker")
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", settings.REDIS_URL)
    app.control.purge()  # nothing left over from an earlier run on this Redis db
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app


def wait_for(job: ExportJob, seconds: float = 90) -> ExportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"export job {job.pk} still {job.status} after {seconds} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_builds_the_export_once_however_often_it_is_delivered(
    celery_on_redis, tmp_path
):
    book = worked_example_book()
    later_events(book)
    finance = UserFactory(role=roles.FINANCE)
    params = AgingParams(as_of=date(2026, 4, 30))

    job = export_jobs.request_export(
        user=finance, report="aging_documents", file_format="csv", params=params
    )
    assert job.status == ExportJobStatus.QUEUED
    job = wait_for(job)

    assert job.status == ExportJobStatus.DONE, job.error
    expected = exports.aging_documents_table(ar_aging(params), aging_documents(params))
    with job.file.open("rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    assert rows == list(
        csv.reader(io.StringIO(exports.render(expected, "csv").decode("utf-8-sig")))
    )
    assert job.rows_done == job.rows_total == len(expected.rows)

    delivered_again = threading.Event()

    def on_postrun(sender=None, **kwargs):
        if sender.name == build_export_file.name:
            delivered_again.set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        build_export_file.delay(job.pk)
        assert delivered_again.wait(timeout=60), "the worker did not run the second delivery"
    finally:
        task_postrun.disconnect(on_postrun)

    job.refresh_from_db()
    assert job.status == ExportJobStatus.DONE
    assert ExportLog.objects.get().pk == job.export_log_id
    exported = [p for p in (tmp_path / "exports").rglob("*") if p.is_file()]
    assert exported == [tmp_path / job.file.name]
