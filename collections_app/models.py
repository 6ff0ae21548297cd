from django.conf import settings
from django.db import models


class ExportLog(models.Model):
    """Who exported what, when: finance exports carry customer data."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    report = models.CharField(max_length=64)
    file_format = models.CharField(max_length=8)
    parameters = models.JSONField(default=dict)
    row_count = models.PositiveIntegerField(default=0)
    exported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-exported_at"]
        permissions = [("export_finance_reports", "Can export finance reports (CSV/XLSX)")]

    def __str__(self) -> str:
        return f"{self.report}.{self.file_format} by {self.user} at {self.exported_at:%Y-%m-%d %H:%M}"
