"""REST API of export jobs under /api/v1/reports/exports/: ask for an export (202 and the
job), follow its status and progress, fetch its file; role checks and the schema."""

import csv
import io
from datetime import date

import pytest

from collections_app.models import ExportJob, ExportLog
from ordermgmt import roles
from tests.collections.test_aging_book import later_events, worked_example_book
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
JOBS = "/api/v1/reports/exports/"
BODY = {
    "report": "aging_documents",
    "file_format": "csv",
    "as_of": "2026-04-30",
    "edges": "30,60,90,120",
}


@pytest.fixture(autouse=True)
def media_and_eager_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True


def api(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    client.user = user
    return client


def test_asking_for_an_export_answers_202_with_the_job_then_its_status_and_file(
    client, django_capture_on_commit_callbacks
):
    later_events(worked_example_book())
    finance = api(client, roles.FINANCE)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = finance.post(JOBS, BODY, content_type="application/json")
    assert response.status_code == 202
    job = response.json()
    assert (job["status"], job["rows_done"], job["rows_total"], job["file_url"]) == (
        "queued", 0, None, None,
    )  # fmt: skip
    assert job["parameters"]["as_of"] == "2026-04-30"
    assert job["status_url"].endswith(f"{JOBS}{job['id']}/")

    queued[0]()  # after commit: the task runs (eager here)

    status = finance.get(f"{JOBS}{job['id']}/").json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["rows_done"] == status["rows_total"] == 6
    assert status["file_url"].endswith(f"{JOBS}{job['id']}/file/")
    download = finance.get(f"{JOBS}{job['id']}/file/")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 7 and rows[0][0] == "account_id"
    assert ExportLog.objects.get().user == finance.user


@pytest.mark.parametrize("role", [roles.ORDER_SPECIALIST, roles.DEAL_DESK])
def test_specialists_and_deal_desk_may_not_export_through_the_api(client, role):
    user = api(client, role)
    assert user.post(JOBS, BODY, content_type="application/json").status_code == 403
    assert not ExportJob.objects.exists()


def test_a_job_is_seen_only_by_its_user_and_admins(client, django_capture_on_commit_callbacks):
    worked_example_book()
    owner = UserFactory(role=roles.FINANCE)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = client.post(JOBS, BODY, content_type="application/json").json()["id"]
    client.force_login(UserFactory(role=roles.AUDITOR))
    assert client.get(f"{JOBS}{job_id}/").status_code == 404
    assert client.get(f"{JOBS}{job_id}/file/").status_code == 404
    client.force_login(UserFactory(role=roles.ADMIN))
    assert client.get(f"{JOBS}{job_id}/").json()["status"] == "done"
    assert client.get(f"{JOBS}{job_id}/file/").status_code == 200


def test_bad_input_names_the_field_and_records_nothing(client):
    finance = api(client, roles.FINANCE)
    bad_format = finance.post(JOBS, {**BODY, "file_format": "pdf"}, content_type="application/json")
    assert bad_format.status_code == 400 and bad_format.json()["field"] == "file_format"
    bad_edges = finance.post(JOBS, {**BODY, "edges": "9,3"}, content_type="application/json")
    assert bad_edges.status_code == 400 and bad_edges.json()["field"] == "edges"
    no_account = finance.post(
        JOBS, {**BODY, "account": AccountFactory().pk + 1000}, content_type="application/json"
    )
    assert (no_account.status_code, no_account.json()["code"]) == (400, "unknown_account")
    assert not ExportJob.objects.exists()


def test_the_export_job_endpoints_are_in_the_openapi_schema(client):
    schema = api(client, roles.FINANCE).get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "post" in paths[JOBS]
    assert "get" in paths[JOBS + "{job_id}/"]
    assert "get" in paths[JOBS + "{job_id}/file/"]
    request_body = paths[JOBS]["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = request_body["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][component]["properties"]
    assert {"report", "file_format", "as_of", "edges", "account"} <= set(fields)
    assert "202" in paths[JOBS]["post"]["responses"]


def test_a_job_of_a_date_gives_that_dates_figures(client, django_capture_on_commit_callbacks):
    """The as-of rules hold in the job: documents dated after as_of are left out."""
    worked_example_book()
    finance = api(client, roles.FINANCE)
    with django_capture_on_commit_callbacks(execute=True):
        early = finance.post(
            JOBS, {**BODY, "as_of": date(2026, 1, 31).isoformat()}, content_type="application/json"
        ).json()
    body = b"".join(finance.get(f"{JOBS}{early['id']}/file/").streaming_content)
    references = {row[5] for row in csv.reader(io.StringIO(body.decode("utf-8-sig")))}
    assert "2026-02-10" not in references  # invoice B is dated after 31 Jan
    assert ExportJob.objects.get().rows_total == 2  # D and A
