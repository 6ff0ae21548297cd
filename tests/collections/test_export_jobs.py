"""Export jobs: every open document of every customer is exported in the background
(a Celery task calling `build_export`), with progress, a stored file for the user who
asked (or an Admin), one ExportLog entry, and nothing twice on a duplicated delivery.

Tasks run in-process here (eager, after commit); test_export_jobs_worker.py runs them on a
real worker through Redis."""

import csv
import io
import logging
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from billing.services import apply_credit_note
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
from ordermgmt import roles
from tests.collections.test_aging_book import (
    apply,
    credit,
    fx,
    issued_invoice,
    later_events,
    payment,
    refund,
    worked_example_book,
)
from tests.factories import AccountFactory, LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 31)
PARAMS = {"as_of": "2026-03-31", "basis": "due_date", "edges": "30,60,90,120"}


@pytest.fixture(autouse=True)
def media_and_eager_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return tmp_path


def a_book():
    """The aging worked example, plus customers in USD and EUR with payments, credit
    notes, a refund and unapplied cash, so that every kind of row occurs."""
    book = worked_example_book()
    later_events(book)
    # Invoice numbers follow dates within a seller's series: this part of the book is
    # billed by a seller of its own, in date order.
    trading = LegalEntityFactory(
        name="Ledgerline Trading LLC", is_default=False, invoice_prefix="TRD-",
        credit_note_prefix="TRDCN-",
    )  # fmt: skip
    for name, amount, day, paid in [
        ("hooli inc.", "2500.00", date(2025, 12, 1), "2500.00"),
        ("Initech LLC", "4200.00", date(2026, 1, 20), "1200.00"),
        ("Umbrella Health", "9800.00", date(2026, 3, 2), None),
        ("Zeta Partners", "130.00", date(2026, 3, 30), None),
    ]:
        account = AccountFactory(legal_name=name)
        invoice = issued_invoice(account, amount, day, entity=trading)
        if paid:
            on = day + timedelta(days=10)
            apply(payment(account, paid, on), invoice, paid, on)
    initech = AccountFactory(legal_name="Initech LLC")  # a second customer of that name
    over = payment(initech, "700.00", date(2026, 3, 3), reference="WIRE-IN2")
    refund(over, "200.00", date(2026, 3, 10))
    # Later parts of the book are billed by sellers of their own: each seller's numbers
    # follow its own dates, and this book adds documents dated before earlier ones.
    europe = LegalEntityFactory(
        name="Ledgerline Europe GmbH", is_default=False, invoice_prefix="EU-",
        credit_note_prefix="EUCN-",
    )  # fmt: skip
    services = LegalEntityFactory(
        name="Ledgerline Services LLC", is_default=False, invoice_prefix="SVC-",
        credit_note_prefix="SVCCN-",
    )  # fmt: skip
    globex = AccountFactory(legal_name="Globex GmbH", default_currency="EUR")
    eur = issued_invoice(globex, "7300.00", date(2026, 2, 14), currency="EUR", entity=europe)
    credit(eur, "300.00", date(2026, 3, 1))
    issued_invoice(globex, "120.00", date(2026, 3, 20), currency="USD")
    fx("EUR", "1.0850", date(2026, 3, 31))
    # Credit on account: a credit note on a paid invoice, partly applied elsewhere.
    credit_co = AccountFactory(legal_name="Credit Co")
    paid = issued_invoice(credit_co, "1000.00", date(2026, 1, 10), entity=services)
    apply(payment(credit_co, "1000.00", date(2026, 1, 10)), paid, "1000.00", date(2026, 1, 10))
    note = credit(paid, "200.00", date(2026, 2, 1))
    other = issued_invoice(credit_co, "500.00", date(2026, 2, 1), entity=services)
    apply_credit_note(
        credit_note=note, allocations=[(other, Decimal("150.00"))], actor=None,
        applied_date=date(2026, 3, 10),
    )  # fmt: skip
    return book


def request(user, report="aging_documents", file_format="csv", account_id=None, **params):
    return export_jobs.request_export(
        user=user,
        report=report,
        file_format=file_format,
        params=AgingParams(as_of=AS_OF, **params),
        account_id=account_id,
    )


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """Ask for an export and let the queued task run (eager), as after a commit."""

    def ask(*args, **kwargs) -> ExportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = request(*args, **kwargs)
        job.refresh_from_db()
        return job

    return ask


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def job_file(job: ExportJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def synchronous_documents(**params):
    params = AgingParams(as_of=AS_OF, **params)
    return exports.aging_documents_table(ar_aging(params), aging_documents(params))


@pytest.fixture
def finance():
    return UserFactory(role=roles.FINANCE)


# --- Who may ask ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.FINANCE, True),
        (roles.AUDITOR, True),
        (roles.ADMIN, True),
        (roles.ORDER_SPECIALIST, False),
        (roles.DEAL_DESK, False),
    ],
)
def test_only_finance_auditor_and_admin_may_ask_for_an_export_job(
    client, role, allowed, django_capture_on_commit_callbacks
):
    issued_invoice(AccountFactory(), "100.00", date(2026, 3, 1))
    client.force_login(UserFactory(role=role))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/collections/exports/",
            {**PARAMS, "report": "aging_documents", "file_format": "csv"},
        )
    if allowed:
        job = ExportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/collections/exports/{job.pk}/"
        assert ExportLog.objects.count() == 1
    else:
        assert response.status_code == 403
        assert not ExportJob.objects.exists() and not ExportLog.objects.exists()
        assert client.get("/collections/exports/").status_code == 403


def test_specialists_and_deal_desk_see_no_export_buttons_on_the_aging(client):
    issued_invoice(AccountFactory(), "100.00", date(2026, 3, 1))
    for role in (roles.ORDER_SPECIALIST, roles.DEAL_DESK):
        client.force_login(UserFactory(role=role))
        html = client.get("/collections/aging/?as_of=2026-03-31").content.decode()
        assert 'id="export-documents-csv"' not in html


def test_bad_parameters_are_400_and_record_nothing(client, finance):
    client.force_login(finance)
    bad_edges = client.post(
        "/collections/exports/",
        {**PARAMS, "edges": "9,3", "report": "aging_documents", "file_format": "csv"},
    )
    bad_format = client.post(
        "/collections/exports/", {**PARAMS, "report": "aging_documents", "file_format": "pdf"}
    )
    assert (bad_edges.status_code, bad_format.status_code) == (400, 400)
    assert b"edges" in bad_edges.content and b"file_format" in bad_format.content
    assert not ExportJob.objects.exists() and not ExportLog.objects.exists()


def test_every_customers_documents_are_no_longer_built_in_the_request(client, finance):
    client.force_login(finance)
    response = client.get(
        "/collections/aging/export/aging_documents.csv?as_of=2026-03-31&edges=30,60,90,120"
    )
    assert response.status_code == 400
    assert b"/collections/exports/" in response.content
    assert not ExportLog.objects.exists()


# --- Lifecycle and progress ---------------------------------------------------------------


def test_a_job_goes_from_queued_to_running_to_done_saving_progress_each_chunk(
    finance, monkeypatch, django_capture_on_commit_callbacks
):
    a_book()
    expected_rows = len(synchronous_documents().rows)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 3)
    seen = []
    save_progress = export_jobs._save_progress

    def watched(job_id, attempt, done, total):  # records what a poller would read
        save_progress(job_id, attempt, done, total)
        job = ExportJob.objects.get(pk=job_id)
        seen.append((job.status, job.rows_done, job.rows_total, job.progress_percent))

    monkeypatch.setattr(export_jobs, "_save_progress", watched)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = request(finance)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.progress_percent) == (
        ExportJobStatus.QUEUED, 0, None, 0,
    )  # fmt: skip
    assert not job.file and job.export_log is None

    queued[0]()  # the on-commit hook: queue the task (eager: it runs now)

    assert seen[0] == (ExportJobStatus.RUNNING, 0, expected_rows, 0)
    assert [done for _, done, _, _ in seen[1:]] == list(range(3, expected_rows + 1, 3))
    assert all(status == ExportJobStatus.RUNNING for status, *_ in seen)
    assert all(total == expected_rows for _, _, total, _ in seen)
    assert [percent for *_, percent in seen] == sorted(percent for *_, percent in seen)
    job.refresh_from_db()
    assert job.status == ExportJobStatus.DONE
    assert (job.rows_done, job.rows_total, job.progress_percent) == (
        expected_rows, expected_rows, 100,
    )  # fmt: skip
    assert job.started_at <= job.finished_at
    assert job.file.name == f"exports/{job.pk}/ledgerline-aging-documents-2026-03-31.csv"
    log = job.export_log
    assert (log.user, log.report, log.file_format, log.row_count) == (
        finance, "aging_documents", "csv", expected_rows,
    )  # fmt: skip
    assert log.parameters == {
        "as_of": "2026-03-31", "basis": "due_date", "edges": [30, 60, 90, 120],
        "currency": "", "reporting_currency": "USD",
    }  # fmt: skip


def test_the_job_page_and_its_status_json_follow_the_job(
    client, finance, django_capture_on_commit_callbacks
):
    a_book()
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        job = request(finance, file_format="xlsx")
    status = client.get(f"/collections/exports/{job.pk}/status.json").json()
    assert (status["status"], status["finished"], status["download_url"]) == (
        "queued", False, None,
    )  # fmt: skip
    page = client.get(f"/collections/exports/{job.pk}/").content.decode()
    assert 'id="export-ready" hidden' in page and "status.json" in page

    queued[0]()

    status = client.get(f"/collections/exports/{job.pk}/status.json").json()
    assert status["status"] == "done" and status["finished"] is True
    assert status["rows_done"] == status["rows_total"] == len(synchronous_documents().rows)
    assert status["percent"] == 100
    assert status["download_url"] == f"/collections/exports/{job.pk}/download"
    page = client.get(f"/collections/exports/{job.pk}/").content.decode()
    assert f'id="export-download" href="/collections/exports/{job.pk}/download"' in page
    assert 'id="export-ready" hidden' not in page
    listing = client.get("/collections/exports/").content.decode()
    assert f'data-job="{job.pk}"' in listing


# --- The file equals the synchronous figures ------------------------------------------------


def test_the_documents_csv_of_a_job_equals_the_synchronous_export(finance, ask):
    a_book()
    job = ask(finance)
    rows = csv_rows(job_file(job))
    assert rows == csv_rows(exports.render(synchronous_documents(), "csv"))
    header, *documents = rows
    assert len(documents) == job.export_log.row_count == job.rows_total
    assert {row[2] for row in documents} == {"invoice", "payment", "credit_note"}
    open_by_currency = {}
    for row in documents:
        open_by_currency[row[4]] = open_by_currency.get(row[4], 0) + Decimal(row[13])
    report = ar_aging(AgingParams(as_of=AS_OF))
    assert open_by_currency == {t.currency: t.net_total for t in report.currencies}


def test_the_documents_xlsx_of_a_job_opens_with_the_synchronous_figures(finance, ask):
    a_book()
    job = ask(finance, file_format="xlsx")
    assert job.file.name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(job_file(job))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "AR aging documents as of 2026-03-31"
    assert values[2][:2] == ["Basis", "due date"]
    header_at = next(i for i, row in enumerate(values) if row[0] == "account_id")
    table = synchronous_documents()
    assert values[header_at] == table.header
    documents = values[header_at + 1 :]
    assert len(documents) == len(table.rows)
    for got, want in zip(documents, table.rows, strict=True):
        assert got[:5] == [want[0], want[1], want[2], want[3], want[4]]
        assert [Decimal(str(v)) for v in got[9:]] == want[9:]
        assert got[7] == want[7] and got[8] == want[8]
    first_amount = sheet.cell(row=header_at + 2, column=10)
    assert first_amount.number_format == "#,##0.00"
    assert sheet.freeze_panes == f"A{header_at + 2}"


def test_a_summary_job_writes_the_same_file_as_the_direct_download(client, finance, ask):
    a_book()
    job = ask(finance, report="aging")
    client.force_login(finance)
    direct = client.get(
        "/collections/aging/export/aging.csv?as_of=2026-03-31&basis=due_date&edges=30,60,90,120"
    )
    assert job_file(job) == direct.content
    assert (
        job.export_log.row_count == ExportLog.objects.exclude(pk=job.export_log_id).get().row_count
    )


def test_one_customers_documents_job_holds_only_that_customer(finance, ask):
    book = a_book()
    job = ask(finance, account_id=book.account.pk, currency="USD")
    header, *rows = csv_rows(job_file(job))
    assert {row[0] for row in rows} == {str(book.account.pk)}
    assert job.file_name.endswith(f"-account-{book.account.pk}.csv")
    assert job.export_log.parameters["account"] == book.account.pk


# --- Only once, whatever the deliveries ------------------------------------------------------


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in (media / "exports").rglob("*") if p.is_file())


def test_a_duplicated_delivery_makes_one_file_and_one_log_entry(
    finance, ask, media_and_eager_tasks
):
    a_book()
    job = ask(finance)
    first_file = job_file(job)

    assert build_export_file.apply(args=[job.pk]).get() == "done"  # delivered again

    job.refresh_from_db()
    assert ExportLog.objects.count() == 1 and job.export_log is not None
    assert stored_files(media_and_eager_tasks) == [media_and_eager_tasks / job.file.name]
    assert job_file(job) == first_file


def test_a_delivery_while_another_attempt_runs_waits_instead_of_building(finance):
    a_book()
    job = ExportJob.objects.create(
        user=finance, report="aging_documents", file_format="csv", parameters={},
        status=ExportJobStatus.RUNNING, heartbeat_at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(export_jobs.ExportJobBusy):
        export_jobs.build_export(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportJobStatus.RUNNING and not job.file
    assert not ExportLog.objects.exists()


def test_an_attempt_whose_worker_died_is_taken_over_and_cannot_store_afterwards(
    finance, media_and_eager_tasks, django_capture_on_commit_callbacks
):
    a_book()
    with django_capture_on_commit_callbacks(execute=False):
        job = request(finance)
    dead = export_jobs._claim(job.pk)  # a worker took the job, then went silent
    ExportJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - export_jobs.STALE_AFTER - timedelta(seconds=1)
    )

    job = export_jobs.build_export(job_id=job.pk)

    assert job.status == ExportJobStatus.DONE and job.attempt != dead
    with pytest.raises(export_jobs._Superseded):  # the old attempt wakes up: refused
        export_jobs._store(
            job_id=job.pk, attempt=dead, content=io.BytesIO(b"x"), rows=1, data_rows=1
        )
    assert ExportLog.objects.count() == 1
    assert stored_files(media_and_eager_tasks) == [media_and_eager_tasks / job.file.name]


# --- Download and failure --------------------------------------------------------------------


def test_only_the_user_who_asked_or_an_admin_may_see_and_download_the_file(client, finance, ask):
    a_book()
    job = ask(finance)
    urls = [
        f"/collections/exports/{job.pk}/",
        f"/collections/exports/{job.pk}/status.json",
        f"/collections/exports/{job.pk}/download",
    ]
    client.force_login(UserFactory(role=roles.FINANCE))  # a colleague
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    for user in (finance, UserFactory(role=roles.ADMIN)):
        client.force_login(user)
        response = client.get(urls[2])
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert (
            'filename="ledgerline-aging-documents-2026-03-31.csv"'
            in (response["Content-Disposition"])
        )
        assert csv_rows(b"".join(response.streaming_content))[0][0] == "account_id"


def test_a_failed_job_shows_its_error_and_has_no_file_and_no_log_entry(client, finance):
    job = ExportJob.objects.create(
        user=finance,
        report="aging_documents",
        file_format="csv",
        parameters={**PARAMS, "edges": [90, 30], "currency": "", "reporting_currency": "USD"},
        file_name="broken.csv",
    )
    job = export_jobs.build_export(job_id=job.pk)
    assert job.status == ExportJobStatus.FAILED
    assert "increase" in job.error
    assert not job.file and not ExportLog.objects.exists()
    client.force_login(finance)
    status = client.get(f"/collections/exports/{job.pk}/status.json").json()
    assert (status["status"], status["finished"], status["download_url"]) == ("failed", True, None)
    assert status["error"] == job.error
    page = client.get(f"/collections/exports/{job.pk}/").content.decode()
    assert 'id="export-failed" hidden' not in page and job.error in page
    assert client.get(f"/collections/exports/{job.pk}/download").status_code == 404
    assert build_export_file.apply(args=[job.pk]).get() == "failed"  # stays failed


def test_no_customer_data_reaches_the_application_log(finance, caplog, ask):
    a_book()
    with caplog.at_level(logging.DEBUG, logger="collections_app"):
        ask(finance, file_format="xlsx")
    assert "export job" in caplog.text
    assert "Acme" not in caplog.text and "WIRE-P1" not in caplog.text


def test_cells_that_would_be_formulas_are_defused_in_a_job_file(finance, ask):
    issued_invoice(AccountFactory(legal_name='=HYPERLINK("http://x")'), "10.00", date(2026, 3, 1))
    csv_job, xlsx_job = ask(finance), ask(finance, file_format="xlsx")
    assert csv_rows(job_file(csv_job))[1][1] == '\'=HYPERLINK("http://x")'
    sheet = load_workbook(io.BytesIO(job_file(xlsx_job))).active
    assert '\'=HYPERLINK("http://x")' in [c.value for c in sheet["B"]]
