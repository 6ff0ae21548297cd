"""In real headless Chromium: a specialist presses "Sync now" and the run page follows a
run (its few lines of JavaScript poll the progress JSON every second)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from config.celery import app
from integrations.salesforce.models import SyncLogLine, SyncRun, SyncRunStatus
from ordermgmt import roles
from ordermgmt.models import Contract
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def plain_static(settings):
    # The live server serves static files through the finders, which know no hashed
    # (manifest) names: plain names, so the script and stylesheet load.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_a_specialist_presses_sync_now_and_sees_the_result(
    live_server,
    page,
    plain_static,
    sf_settings,
    sf_bookings,
    monkeypatch,
):
    # As in the demo: no broker, the task runs in the web process.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    sf_bookings.deal()
    sf_bookings.deal(Name="Northwind - Expansion 2026")
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)

    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-salesforce")
    expect(page.locator("h1")).to_contain_text("Salesforce sync")
    page.click("#sync-now")

    expect(page.locator("#run-status")).to_have_text("Succeeded")
    expect(page.locator('[data-count="contracts_created"]')).to_have_text("2")
    expect(page.locator("#run-log")).to_contain_text("Finished")
    assert Contract.objects.count() == 2


def test_the_run_page_follows_a_running_sync_until_it_finishes(
    live_server,
    page,
    plain_static,
    sf_settings,
):
    auditor = UserFactory(role=roles.AUDITOR)
    run = SyncRun.objects.create(
        status=SyncRunStatus.RUNNING,
        phase="opportunities",
        total=4000,
        processed=2000,
        heartbeat_at=timezone.now(),
    )
    log_in(page, live_server, auditor.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/integrations/salesforce/runs/{run.pk}/")
    expect(page.locator("#run-status")).to_have_text("Running")
    expect(page.locator('[data-field="percent"]')).to_have_text("50")

    SyncLogLine.objects.create(run=run, code="finished", message="Finished: all done.")
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRunStatus.SUCCEEDED, processed=4000, fetched=4000, finished_at=timezone.now()
    )

    expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=5000)
    expect(page.locator('[data-field="percent"]')).to_have_text("100")
    expect(page.locator('[data-count="fetched"]')).to_have_text("4000")
    expect(page.locator("#run-log")).to_contain_text("Finished: all done.")
