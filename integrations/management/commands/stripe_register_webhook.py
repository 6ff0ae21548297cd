"""Register Ledgerline's webhook URL with Stripe (or the simulator) and print its secret.

    eval "$(python manage.py stripe_register_webhook \\
        --url http://127.0.0.1:8000/integrations/stripe/webhook/)"

prints `export STRIPE_WEBHOOK_SECRET=whsec_...` on stdout (explanations go to stderr),
so `eval` sets it for the server started next. Stripe shows a secret only when the
endpoint is created: an endpoint for the same URL is replaced only with --replace.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.stripe.client import StripeNotConfigured, api_version, stripe_client
from integrations.stripe.webhooks import SUBSCRIBED_EVENTS


class Command(BaseCommand):
    help = "Register our webhook URL at Stripe (or the simulator) and print its secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/integrations/stripe/webhook/",
            help="where Stripe should POST events (our /integrations/stripe/webhook/)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete endpoints already registered for this URL first",
        )

    def handle(self, *args: Any, url: str, replace: bool, **options: Any) -> None:
        try:
            client = stripe_client()
            existing = [
                e
                for e in client.v1.webhook_endpoints.list(params={"limit": 100}).auto_paging_iter()
                if e.url == url
            ]
            if existing and not replace:
                raise CommandError(
                    f"{url} is already registered ({', '.join(e.id for e in existing)}); Stripe "
                    "does not show its secret again. Use --replace to register it anew."
                )
            for endpoint in existing:
                client.v1.webhook_endpoints.delete(endpoint.id)
            endpoint = client.v1.webhook_endpoints.create(
                params={
                    "url": url,
                    "enabled_events": SUBSCRIBED_EVENTS,
                    # Events follow the endpoint's version, not the account's default.
                    "api_version": api_version(),
                    "description": "Ledgerline: paid invoices become payments",
                }
            )
        except StripeNotConfigured as exc:
            raise CommandError(f"{exc} (and STRIPE_API_BASE for the simulator).") from exc
        except stripe.StripeError as exc:
            raise CommandError(f"Stripe refused: {exc.user_message or exc}") from exc
        self.stderr.write(
            f"Registered {endpoint.id} for {url} ({len(SUBSCRIBED_EVENTS)} events, "
            f"API version {endpoint.api_version})."
        )
        self.stdout.write(f"export STRIPE_WEBHOOK_SECRET={endpoint.secret}")
