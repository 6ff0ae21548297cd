"""Run dunning for a date, or preview it (dry run): what would be sent, to whom, and why.

The preview walks the same plans in the same order as `send_due_reminders` and applies
the one thing a run changes while it goes: once an account is e-mailed, its later
invoices wait for the minimum contact delay. So a dry run and the real run for the same
date agree, line for line (a test holds them to it), and a second real run sends nothing
because each (invoice, step) is recorded once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date

from django.utils import timezone

from collections_app import selectors
from collections_app.dunning.schedule import PlanState, plan_for_invoice
from collections_app.error_codes import CollectionsError
from collections_app.models import DunningAction, DunningReminder
from collections_app.services.dunning import DunningRunResult, send_due_reminders
from core.errors import DomainValidationError
from core.money import format_money

EMAIL, CALL, DEFERRED, NO_CONTACT = "emailed", "calls_flagged", "deferred", "no_billing_contact"


@dataclass(frozen=True)
class DunningLine:
    account_id: int
    account_name: str
    invoice_id: int
    invoice_number: str
    outcome: str  # emailed | calls_flagged | deferred | no_billing_contact
    step: str
    step_offset_days: int | None
    days_past_due: int
    open_amount: str
    recipients: tuple[str, ...]
    why: str


@dataclass
class DunningRunReport:
    as_of: date
    dry_run: bool
    totals: dict[str, int]
    lines: list[DunningLine] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "totals": self.totals,
            "lines": [asdict(line) | {"recipients": list(line.recipients)} for line in self.lines],
        }


def _line(item, outcome: str, recipients: list[str], as_of: date, why: str) -> DunningLine:
    invoice, step = item.invoice, item.plan.step
    return DunningLine(
        account_id=invoice.account_id,
        account_name=invoice.account.legal_name,
        invoice_id=invoice.pk,
        invoice_number=invoice.number or "",
        outcome=outcome,
        step=step.label if step else "",
        step_offset_days=step.offset_days if step else None,
        days_past_due=(as_of - invoice.due_date).days,
        open_amount=format_money(item.facts.open_amount, invoice.currency),
        recipients=tuple(recipients),
        why=why,
    )


def preview_dunning(*, as_of: date, batch_size: int | None = None) -> DunningRunReport:
    """What a run for `as_of` would do, changing nothing (batch by batch, as the run)."""
    report = DunningRunReport(as_of=as_of, dry_run=True, totals=_zero())
    for plans in selectors.dunning_plan_batches(as_of=as_of, batch_size=batch_size):
        accounts = selectors.account_facts(p.invoice.account_id for p in plans)
        _preview_batch(report, plans, accounts, as_of)
    for line in report.lines:
        report.totals[line.outcome] += 1
    return report


def _preview_batch(report: DunningRunReport, plans, accounts, as_of: date) -> None:
    for item in plans:
        if item.plan.state == PlanState.COVERED:
            continue  # listed in its customer's reminder (customer-level policy)
        account = accounts[item.invoice.account_id]
        plan = plan_for_invoice(item.facts, account, as_of=as_of)
        due_text = f"{(as_of - item.invoice.due_date).days} days past due"
        if plan.state == PlanState.DEFERRED:
            why = f"{due_text}; {plan.label}"
            report.lines.append(_line(replace(item, plan=plan), DEFERRED, [], as_of, why))
            continue
        if plan.state != PlanState.DUE:
            continue
        item = replace(item, plan=plan)
        reached = f"{due_text}; step '{plan.step.label}' reached on {plan.step_date}"
        if plan.step.action == DunningAction.CALL:
            report.lines.append(_line(item, CALL, [], as_of, f"{reached}: a call to make"))
            continue
        recipients = selectors.billing_contact_emails(item.invoice.account_id)
        if not recipients:
            why = f"{reached}, but the account has no billing contact with an e-mail"
            report.lines.append(_line(item, NO_CONTACT, [], as_of, why))
            continue
        report.lines.append(_line(item, EMAIL, recipients, as_of, f"{reached}: reminder e-mail"))
        # The run records this e-mail before it reaches the account's next invoice.
        accounts[item.invoice.account_id] = replace(account, last_contact_on=as_of)


def _zero() -> dict[str, int]:
    return {EMAIL: 0, CALL: 0, DEFERRED: 0, NO_CONTACT: 0, "already_done": 0, "failed": 0}


def run_dunning(
    *, as_of: date, dry_run: bool = False, batch_size: int | None = None
) -> DunningRunReport:
    """Preview, or send what is due as of `as_of` (not after today) and report what was
    sent, from the reminders recorded by this run."""
    if dry_run:
        return preview_dunning(as_of=as_of, batch_size=batch_size)
    if as_of > timezone.localdate():
        raise DomainValidationError(
            field="as_of",
            code=CollectionsError.IN_THE_FUTURE,
            message=f"Dunning cannot be sent as of {as_of}, after today; preview it instead.",
        )
    before = set(DunningReminder.objects.filter(run_date=as_of).values_list("pk", flat=True))
    result: DunningRunResult = send_due_reminders(as_of=as_of, batch_size=batch_size)
    sent = (
        DunningReminder.objects.filter(run_date=as_of)
        .exclude(pk__in=before)
        .select_related("invoice__account", "step")
        .order_by("account_id", "id")
    )
    lines = [
        DunningLine(
            account_id=r.account_id,
            account_name=r.invoice.account.legal_name,
            invoice_id=r.invoice_id,
            invoice_number=r.invoice.number or "",
            outcome=EMAIL if r.action == DunningAction.EMAIL else CALL,
            step=r.step.label,
            step_offset_days=r.offset_days,
            days_past_due=(as_of - r.invoice.due_date).days,
            open_amount=format_money(r.invoice.open_amount, r.invoice.currency),
            recipients=tuple(r.recipients or ()),
            why=f"step reached on {r.step_date}",
        )
        for r in sent
    ]
    totals = {k: v for k, v in result.as_dict().items() if k != "as_of"}
    return DunningRunReport(as_of=as_of, dry_run=False, totals=totals, lines=lines)
