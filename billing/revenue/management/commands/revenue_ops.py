"""`manage.py revenue_ops`: the revenue operations of one contract from a shell or a job.

    revenue_ops exceptions --contract 42 [--all]
    revenue_ops rebuild --contract 42 --user finance.lead
    revenue_ops reestimate --contract 42 --amount -2000 --effective-date 2026-07-01 \\
        --note "Volume rebate now expected at the upper tier" --user finance.lead

Writes go through billing.revenue.services and are audited under --user, who must hold
`revenue.recognise_revenue` (as over the API); a refusal prints its field and message.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.revenue import services
from billing.revenue.models import RevenueException
from core.errors import DomainValidationError
from ordermgmt.models import Contract

WRITE_PERMISSION = "revenue.recognise_revenue"


def contract_of(value: str) -> Contract:
    try:
        return Contract.objects.get(pk=int(value))
    except (ValueError, Contract.DoesNotExist) as err:
        raise CommandError(f"--contract: no contract with id {value!r}.") from err


def actor_of(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--user: no active user {username!r}.")
    if not user.has_perm(WRITE_PERMISSION):
        raise CommandError(f"--user: {username} may not change revenue ({WRITE_PERMISSION}).")
    return user


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise CommandError(f"--effective-date must be YYYY-MM-DD, not {value!r}.") from err


def parse_amount(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as err:
        raise CommandError(f"--amount must be a number, not {value!r}.") from err


class Command(BaseCommand):
    help = "List a contract's revenue exceptions, rebuild its revenue, or re-estimate it."

    def add_arguments(self, parser: CommandParser) -> None:
        ops = parser.add_subparsers(dest="operation", required=True)
        listing = ops.add_parser("exceptions", help="List the contract's revenue exceptions")
        listing.add_argument("--contract", required=True, help="Contract id")
        listing.add_argument("--all", action="store_true", help="Resolved ones too")
        rebuild = ops.add_parser("rebuild", help="Build revenue once its exception is fixed")
        rebuild.add_argument("--contract", required=True, help="Contract id")
        rebuild.add_argument("--user", required=True, help="Username the change is audited as")
        estimate = ops.add_parser("reestimate", help="Re-estimate variable consideration")
        estimate.add_argument("--contract", required=True, help="Contract id")
        estimate.add_argument("--amount", required=True, help="New estimate, e.g. -2000")
        estimate.add_argument("--effective-date", required=True, help="YYYY-MM-DD")
        estimate.add_argument("--note", required=True, help="Why the estimate changed")
        estimate.add_argument("--user", required=True, help="Username the change is audited as")

    def handle(self, *args, **options) -> None:
        contract = contract_of(options["contract"])
        try:
            getattr(self, f"_{options['operation']}")(contract, options)
        except DomainValidationError as err:
            raise CommandError(f"{err.field}: {err.message} ({err.code})") from err

    def _exceptions(self, contract: Contract, options) -> None:
        rows = RevenueException.objects.filter(contract=contract).order_by("-raised_at", "-id")
        if not options["all"]:
            rows = rows.filter(resolved_at__isnull=True)
        for row in rows:
            state = f"resolved {row.resolved_at:%Y-%m-%d}" if row.resolved_at else "open"
            self.stdout.write(
                f"{row.raised_at:%Y-%m-%d} {state}  {row.field} {row.code}: {row.message}"
            )
        self.stdout.write(f"{rows.count()} exception(s) for {contract.reference}.")

    def _rebuild(self, contract: Contract, options) -> None:
        actor = actor_of(options["user"])
        services.recognise_contract_revenue(contract=contract, actor=actor)
        self.stdout.write(self.style.SUCCESS(f"Revenue of {contract.reference} built."))

    def _reestimate(self, contract: Contract, options) -> None:
        actor = actor_of(options["user"])
        allocation = services.reestimate_variable_consideration(
            contract=contract,
            amount=parse_amount(options["amount"]),
            effective_date=parse_date(options["effective_date"]),
            note=options["note"],
            actor=actor,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{contract.reference}: allocation v{allocation.version}, transaction price "
                f"{allocation.transaction_price} {allocation.currency} from "
                f"{allocation.effective_date}."
            )
        )
