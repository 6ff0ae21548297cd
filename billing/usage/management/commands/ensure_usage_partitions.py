from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing.usage.partitions import ensure_partitions, months_around


class Command(BaseCommand):
    help = "Make the monthly partitions of the raw usage table ahead (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=3, help="Months ahead")
        parser.add_argument("--back", type=int, default=1, help="Months back")

    def handle(self, *args, **options):
        months = months_around(timezone.localdate(), back=options["back"], ahead=options["ahead"])
        with transaction.atomic():
            made = ensure_partitions(months)
        self.stdout.write(f"made {len(made)} partition(s): {', '.join(made) or '-'}")
