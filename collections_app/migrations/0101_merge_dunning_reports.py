"""Joins the dunning line (0002-0003) and the AR reports line (0100); no operations."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0003_dunning_defaults"),
        ("collections_app", "0100_reports_roles"),
    ]

    operations = []
