"""Deal desk: the default rules, the role permissions, and open reviews for contracts
that were already pending review before the rules existed. Those reviews carry no flags
(the rules never ran on them); the review page shows what the rules find today."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def seed_rules(apps, schema_editor):
    from ordermgmt.dealdesk.defaults import seed_default_rules

    seed_default_rules(apps.get_model("ordermgmt", "DealDeskRule"))


def grant_permissions(apps, schema_editor):
    from ordermgmt.roles import ORDERMGMT_PERMISSIONS, grant

    grant(apps, ORDERMGMT_PERMISSIONS)


def open_reviews_for_pending_contracts(apps, schema_editor):
    Contract = apps.get_model("ordermgmt", "Contract")
    DealDeskReview = apps.get_model("ordermgmt", "DealDeskReview")
    now = timezone.now()
    DealDeskReview.objects.bulk_create(
        [
            DealDeskReview(
                contract=contract,
                status="open",
                trigger="backfill",
                opened_at=now,
                sla_due_at=now + timedelta(hours=48),
                required_approvals=1,
                currency=contract.currency,
            )
            for contract in Contract.objects.filter(status="pending_review")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("ordermgmt", "0004_dealdesk")]

    operations = [
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
        migrations.RunPython(open_reviews_for_pending_contracts, migrations.RunPython.noop),
    ]
