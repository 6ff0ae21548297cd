"""Checks that every invoice's, payment's and credit note's maintained settlement figures
equal the sums of their movements (billing.selectors.open_balance), which the AR reports
rely on. Changes nothing; exits with status 1 and lists the documents if any differ.

    manage.py check_open_balances
"""

from django.core.management.base import BaseCommand, CommandError

from billing.selectors.open_balance import open_balance_mismatches

SHOWN = 50


class Command(BaseCommand):
    help = "Check the maintained open balances against the movements (changes nothing)."

    def handle(self, *args, **options):
        found = open_balance_mismatches()
        if not found:
            self.stdout.write("Open balances agree with the movements.")
            return
        for mismatch in found[:SHOWN]:
            self.stdout.write(str(mismatch))
        if len(found) > SHOWN:
            self.stdout.write(f"... and {len(found) - SHOWN} more")
        raise CommandError(f"{len(found)} documents' open balances differ from their movements.")
