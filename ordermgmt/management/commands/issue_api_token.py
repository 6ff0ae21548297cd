"""Issue an API token for a user (a service account, a script) and print it once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainValidationError
from ordermgmt.security.tokens import issue_api_token, max_days


class Command(BaseCommand):
    help = "Issue an API token for USERNAME; the token is printed once and not stored."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="Valid for (default: max).")

    def handle(self, *args, username, days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            token, plaintext = issue_api_token(user=user, days=days)
        except DomainValidationError as err:
            raise CommandError(err.message) from err
        self.stderr.write(f"Expires {token.expiry:%Y-%m-%d %H:%M} UTC (at most {max_days()} days).")
        self.stdout.write(plaintext)
