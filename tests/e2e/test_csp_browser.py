"""In real headless Chromium: the Content-Security-Policy blocks nothing our own pages
need (scripts, styles, the progress polling), on the console pages and in the admin."""

from datetime import date

import pytest

from billing.models import BillingRun, BillingRunStatus
from billing.services import queue_billing_run
from collections_app.reports.aging import AgingParams
from collections_app.reports.export_jobs import request_export
from ordermgmt import roles
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory, make_contract

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_console_and_admin_pages_run_without_a_csp_violation(live_server, page, monkeypatch):
    from collections_app.reports import export_jobs

    monkeypatch.setattr(export_jobs, "_queue_build", lambda job_id: None)  # stays queued
    admin = UserFactory(role=roles.ADMIN, is_superuser=True)
    contract = make_contract()
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRunStatus.RUNNING)
    job = request_export(
        user=admin, report="aging", file_format="csv", params=AgingParams(as_of=date(2026, 1, 1))
    )
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    log_in(page, live_server, admin.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    for path in [
        "/",
        f"/billing/runs/{run.pk}/",  # polls its progress from a static script
        f"/collections/exports/{job.pk}/",  # the one inline script, with its nonce
        "/billing/invoices/",
        "/collections/aging/?as_of=2026-03-31",
        "/account/api-tokens/",
        "/admin/",
        f"/admin/ordermgmt/contract/{contract.pk}/change/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}

    assert violations == []
    # Both polling scripts really ran (the static one and the inline one with the nonce).
    for path, polls in [
        (f"/billing/runs/{run.pk}/", f"/billing/runs/{run.pk}/progress/"),
        (f"/collections/exports/{job.pk}/", f"/collections/exports/{job.pk}/status.json"),
    ]:
        with page.expect_response(lambda r, polls=polls: polls in r.url) as polled:
            page.goto(f"{live_server.url}{path}")
        assert polled.value.status == 200
