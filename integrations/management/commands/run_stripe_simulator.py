"""Serve the Stripe simulator for the demo or for manual testing, until Ctrl-C."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.stripe.simulator import StripeSimulator, WebhookPolicy


class Command(BaseCommand):
    help = "Run the Ledgerline Stripe simulator (Stripe's v1 API over HTTP, loopback only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
        parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
        parser.add_argument(
            "--webhook-retry-delay",
            type=float,
            default=2.0,
            help="seconds before the first webhook retry; later ones double",
        )
        parser.add_argument("--webhook-max-attempts", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        policy = WebhookPolicy(
            initial_delay=options["webhook_retry_delay"],
            max_attempts=options["webhook_max_attempts"],
        )
        try:
            simulator = StripeSimulator(options["host"], options["port"], policy)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot start the Stripe simulator: {exc}") from exc
        self.stdout.write(simulator.url)
        self.stdout.write(
            "Point the stripe library at it with "
            f'base_addresses={{"api": "{simulator.url}"}} and any sk_test_ key; '
            f"control API at {simulator.url}/_sim/state. Ctrl-C stops it."
        )
        self.stdout.flush()
        try:
            simulator.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stripe simulator stopped.")
