from django.db import migrations

from billing.search.indexes import create_search_indexes, drop_search_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0105_merge_invoice_delivery_plural"),
        ("ordermgmt", "0007_day_count_30e_360_and_actual_360"),
    ]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
