"""In real headless Chromium: finance asks for every open document from the AR aging; the
export job's page follows the job (a "worker" takes it a moment later) until the download
link appears, and the file downloads with the aging's documents (logged once)."""

import csv
import io
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from billing.services import invoicing
from collections_app.models import ExportJob, ExportLog
from collections_app.tasks import build_export_file
from ordermgmt import roles
from tests.collections.test_aging_book import later_events, worked_example_book
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def worker_after(seconds: float):
    """Stands in for the broker and a worker: runs the task body in a thread, later."""

    def delay(job_id: int):
        def run():
            try:
                time.sleep(seconds)
                build_export_file(job_id)
            finally:
                connection.close()

        threading.Thread(target=run, daemon=True).start()

    return delay


def test_finance_clicks_export_and_the_download_link_appears(
    live_server, page, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(invoicing, "ON_ISSUE", [])  # no e-mail, PDF or Stripe for the book
    book = worked_example_book()
    later_events(book)
    finance = UserFactory(role=roles.FINANCE)
    monkeypatch.setattr(build_export_file, "delay", worker_after(1.5))

    log_in(page, live_server, finance.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/collections/aging/?as_of=2026-03-31")
    page.click("#export-documents-csv")

    page.wait_for_url("**/collections/exports/*/")
    job = ExportJob.objects.get()
    assert page.locator("#export-status").inner_text() in {"Queued", "Running"}
    expect(page.locator("#export-download")).to_be_hidden()
    expect(page.locator("#export-download")).to_be_visible(timeout=30000)
    expect(page.locator("#export-status")).to_have_text("Done")
    expect(page.locator(".export-progress .progress-text")).to_have_text("100%")

    with page.expect_download() as download_info:
        page.click("#export-download")
    download = download_info.value
    assert download.suggested_filename == "ledgerline-aging-documents-2026-03-31.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    references = {row[3]: row for row in rows[1:]}
    assert references[book.d.number][13] == "2000.00"
    assert references["WIRE-P1"][13] == "-900.00"
    log = ExportLog.objects.get()
    assert (log.user_id, log.report, log.file_format, log.row_count) == (
        finance.pk, "aging_documents", "csv", 5,
    )  # fmt: skip
    job.refresh_from_db()
    assert job.export_log_id == log.pk
