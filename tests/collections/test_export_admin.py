"""Who exported what is readable in the admin by Finance and Auditors, and never editable."""

import pytest
from django.urls import reverse

from collections_app.models import ExportLog
from ordermgmt import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_auditors_read_the_export_log_and_nobody_edits_it(client):
    exporter = UserFactory(role=roles.FINANCE, username="exporting-finance")
    ExportLog.objects.create(user=exporter, report="aging", file_format="csv", row_count=42)
    client.force_login(UserFactory(role=roles.AUDITOR))
    page = client.get(reverse("admin:collections_app_exportlog_changelist"))
    assert page.status_code == 200 and "exporting-finance" in page.content.decode()
    assert client.get(reverse("admin:collections_app_exportlog_add")).status_code == 403
    log = ExportLog.objects.get()
    client.force_login(UserFactory(role=roles.ADMIN))
    delete = client.post(reverse("admin:collections_app_exportlog_delete", args=[log.pk]))
    assert delete.status_code == 403 and ExportLog.objects.count() == 1
