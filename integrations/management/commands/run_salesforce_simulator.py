"""python manage.py run_salesforce_simulator --port 8443 [--seed-opportunities 200]
[--plain-http]: a local Salesforce org for the demo and manual testing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.salesforce.simulator import SalesforceSimulator


class Command(BaseCommand):
    help = "Serve the Salesforce REST simulator on 127.0.0.1 until Ctrl-C."
    requires_system_checks: list[str] = []  # needs no database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8443)
        parser.add_argument(
            "--plain-http",
            action="store_true",
            help="serve http:// (simple-salesforce then needs a "
            "scheme-rewriting session adapter; see simulator/testing.py)",
        )
        parser.add_argument("--seed-opportunities", type=int, default=0)
        parser.add_argument(
            "--seed-accounts",
            type=int,
            default=None,
            help="default: one account per 5 opportunities, at least 3",
        )
        parser.add_argument("--lines-per-opportunity", type=int, default=3)
        parser.add_argument("--seed", type=int, default=1, help="random seed for the data")
        parser.add_argument("--batch-size", type=int, default=2000, help="records per query page")
        parser.add_argument(
            "--cert-dir",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "salesforce-simulator",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sim = SalesforceSimulator(
            port=options["port"],
            tls=not options["plain_http"],
            cert_dir=options["cert_dir"],
            batch_size=options["batch_size"],
            log_requests=options["verbosity"] >= 2,
        )
        try:
            sim.bind()
        except OSError as error:
            raise CommandError(f"Can't listen on 127.0.0.1:{options['port']}: {error}") from error
        opportunities = options["seed_opportunities"]
        if opportunities:
            accounts = options["seed_accounts"] or max(3, opportunities // 5)
            summary = sim.seed(
                accounts=accounts,
                opportunities=opportunities,
                lines_per_opportunity=options["lines_per_opportunity"],
                seed=options["seed"],
            )
            self.stdout.write(
                f"Seeded {len(summary.accounts)} accounts, "
                f"{len(summary.contacts)} contacts, {len(summary.products)} "
                f"products, {len(summary.opportunities)} opportunities, "
                f"{summary.line_items} line items."
            )
        creds = sim.credentials
        lines = [
            f"Salesforce simulator listening on {sim.url}",
            f"  instance_url    {sim.url}",
            f"  session id      {sim.issue_session()}",
            f"  username        {creds.username}",
            f"  password        {creds.password}",
            f"  security token  {creds.security_token}",
        ]
        if sim.cert_path:
            lines += [
                f"  certificate     {sim.cert_path}",
                "  (requests: session.verify = <certificate> and session.trust_env = False;",
                "   REQUESTS_CA_BUNDLE would otherwise override verify)",
            ]
        cert_arg = f', "{sim.cert_path}"' if sim.cert_path else ""
        lines += [
            f"  control API     {sim.url}/_sim/  (reset, seed, session, faults, requests, "
            "clock, records)",
            "Connect from Python:",
            "  from simple_salesforce import Salesforce",
            "  from integrations.salesforce.simulator.testing import simulator_session",
            f'  session = simulator_session("{sim.url}"{cert_arg})',
            f'  sf = Salesforce(instance_url="https://{sim.instance}", session_id=<session id>,',
            "                  session=session)",
            "  # or Salesforce(username=..., password=..., security_token=..., session=session):",
            "  # the session sends login.salesforce.com to the simulator.",
            "Press Ctrl-C to stop.",
        ]
        self.stdout.write("\n".join(lines))
        try:
            sim.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
