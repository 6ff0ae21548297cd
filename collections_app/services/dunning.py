"""Dunning: send the reminders that are due, pause and resume an account, choose its policy.

One reminder per (invoice, step), however often the run happens
-------------------------------------------------------------------
`send_due_reminders` may run twice for a day: beat fires, somebody runs it by hand, a
worker dies and the broker redelivers the task (acks_late), two workers get duplicates.
Each reminder is done in its own transaction that

1. locks the account row (SELECT ... FOR UPDATE): runs for the same account queue up,
   so the minimum contact delay holds across parallel runs too;
2. recomputes the invoice's plan from committed rows: a run that waited for the lock
   sees the reminder the first one recorded and does nothing;
3. claims the step by inserting the `DunningReminder` row, whose unique constraint on
   (invoice, step) is the backstop when no lock is taken (SQLite);
4. sends the e-mail (or opens the call task) and commits.

The window that remains: no transaction can include the mail server. If the process
dies after the server accepted the e-mail and before COMMIT, the claim is rolled back
and a later run sends the step again: at-least-once in that window, which is kept to
the COMMIT alone (recipients are resolved and the text rendered before the send). The
Message-ID is fixed per invoice and step, so a duplicate that slips through carries the
same Message-ID, which mail servers and clients use to fold duplicates. A send that
fails before the server accepted it records nothing; the step is tried on the next run.

Customer data (names, addresses, amounts) never goes into log messages: ids only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from datetime import date
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Invoice
from collections_app import selectors
from collections_app.dunning.emails import render_reminder_body, render_subject
from collections_app.dunning.schedule import PlanState, short_date
from collections_app.error_codes import CollectionsError
from collections_app.models import (
    AccountDunning,
    ActivityKind,
    ActivityStatus,
    CollectionActivity,
    DunningAction,
    DunningPolicy,
    DunningReminder,
    DunningStep,
)
from core.audit import actor_or_none, audit_next_save
from core.errors import DomainValidationError
from core.money import format_money
from ordermgmt.models import Account

logger = logging.getLogger(__name__)

DEFAULT_EMAIL_TIMEOUT = 30  # seconds; the account row stays locked for at most this long


@dataclass
class DunningRunResult:
    as_of: date
    emailed: int = 0
    calls_flagged: int = 0
    deferred: int = 0  # held back by the minimum contact delay
    no_billing_contact: int = 0
    already_done: int = 0  # another run got there first
    failed: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


def send_due_reminders(*, as_of: date, batch_size: int | None = None) -> DunningRunResult:
    """Sends every reminder whose step is due as of that date, and flags the calls.

    Not one transaction: each reminder commits on its own (see the module docstring), so
    one failing e-mail neither rolls back nor blocks the others. Safe to run again and
    to run in parallel, also split by account across workers.

    The plans are read in batches of whole accounts (selectors.dunning_plan_batches,
    about `batch_size` invoices each), account by account as before: memory stays one
    batch whatever the book. A batch's plans only choose what to try; each step is
    decided again under the account's lock, as above, so a plan read before another
    run's commit costs a lookup, never a second reminder.
    """
    result = DunningRunResult(as_of=as_of)
    for item in _reachable_plans(as_of=as_of, batch_size=batch_size):
        if item.plan.state == PlanState.DEFERRED:
            result.deferred += 1
        if item.plan.state != PlanState.DUE:
            continue
        try:
            outcome = _do_step(
                account_id=item.invoice.account_id, invoice_id=item.invoice.pk, as_of=as_of
            )
        except Exception as exc:  # one invoice must not stop the run; ids only in the log
            result.failed += 1
            logger.error(
                "Dunning: invoice %s step %s failed (%s); it is tried again on the next run",
                item.invoice.pk,
                item.plan.step.id,
                type(exc).__name__,
            )
            continue
        setattr(result, outcome, getattr(result, outcome) + 1)
    logger.info("Dunning run as of %s: %s", as_of.isoformat(), result.as_dict())
    return result


def _reachable_plans(*, as_of: date, batch_size: int | None):
    # The plan's invoice fields only: _do_step reads the invoice it sends about again.
    batches = selectors.dunning_plan_batches(as_of=as_of, batch_size=batch_size, invoice_fields=[])
    for batch in batches:
        yield from batch


def _do_step(*, account_id: int, invoice_id: int, as_of: date) -> str:
    """One invoice's due step, in its own transaction; returns the result counter."""
    accepted = False
    try:
        with transaction.atomic(durable=True):
            outcome = _claim_and_send(account_id=account_id, invoice_id=invoice_id, as_of=as_of)
            accepted = outcome == "emailed"
    except Exception as exc:
        if accepted:
            logger.error(
                "Dunning: invoice %s e-mail accepted by the mail server but the reminder was "
                "not recorded (%s); the next run may send it again",
                invoice_id,
                type(exc).__name__,
            )
        raise
    return outcome


def _claim_and_send(*, account_id: int, invoice_id: int, as_of: date) -> str:
    # Serialises runs per account: the minimum contact delay and the claim below are
    # decided on rows that the run before us has committed.
    Account.objects.select_for_update().filter(pk=account_id).first()
    plans = selectors.dunning_plans(as_of=as_of, account_ids=[account_id], invoice_ids=[invoice_id])
    if not plans or plans[0].plan.state != PlanState.DUE:
        state = plans[0].plan.state if plans else None
        return "deferred" if state == PlanState.DEFERRED else "already_done"
    invoice, plan = plans[0].invoice, plans[0].plan
    step = DunningStep.objects.select_related("policy").get(pk=plan.step.id)

    recipients: list[str] = []
    message = None
    if step.action == DunningAction.EMAIL:
        recipients = selectors.billing_contact_emails(account_id)
        if not recipients:
            logger.warning("Dunning: invoice %s has no billing contact to remind", invoice_id)
            return "no_billing_contact"
        message = _reminder_email(invoice, step, recipients, as_of)
        if step.policy.per_customer:
            message.body += _overdue_listing(account_id, as_of)

    try:
        with transaction.atomic():
            reminder = DunningReminder.objects.create(
                invoice=invoice,
                account_id=account_id,
                step=step,
                action=step.action,
                offset_days=step.offset_days,
                step_date=plan.step_date,
                run_date=as_of,
                sent_at=timezone.now(),
                recipients=recipients,
                subject=message.subject if message else "",
                message_id=message.extra_headers["Message-ID"] if message else "",
            )
    except IntegrityError:
        return "already_done"  # claimed by a run that took no lock (see the docstring)

    if message is None:
        _open_call_task(reminder, invoice, step)
        logger.info("Dunning: invoice %s flagged for a call (step %s)", invoice_id, step.pk)
        return "calls_flagged"
    message.send()
    logger.info(
        "Dunning: invoice %s step %s e-mailed to %s billing contact(s)",
        invoice_id,
        step.pk,
        len(recipients),
    )
    return "emailed"


def reminder_context(invoice: Invoice, *, as_of: date) -> dict[str, object]:
    """The placeholders, as plain strings and numbers (see dunning/emails.py)."""
    days_past_due = (as_of - invoice.due_date).days
    return {
        "customer": invoice.buyer_name or invoice.account.legal_name,
        "invoice_number": invoice.number,
        "amount_due": format_money(invoice.open_amount, invoice.currency),
        "total_amount": format_money(invoice.total_amount, invoice.currency),
        "due_date": short_date(invoice.due_date),
        "days_past_due": days_past_due,
        "days_until_due": max(0, -days_past_due),
        "seller": invoice.legal_entity.name,
    }


def _message_id(invoice: Invoice, step: DunningStep) -> str:
    """The same for every attempt at one step of one invoice."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "ledgerline.invalid"
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "ledgerline.invalid"
    return f"<dunning.{invoice.pk}.{step.pk}@{domain}>"


def _reminder_email(
    invoice: Invoice, step: DunningStep, recipients: list[str], as_of: date
) -> EmailMessage:
    context = reminder_context(invoice, as_of=as_of)
    entity = invoice.legal_entity
    sender = formataddr((entity.name, entity.email)) if entity.email else None
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_EMAIL_TIMEOUT
    return EmailMessage(
        subject=render_subject(step.subject_template, context),
        body=render_reminder_body(step.body_template, context, remit_to=entity.remit_to),
        from_email=sender or settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[entity.email] if entity.email else None,
        headers={"Message-ID": _message_id(invoice, step)},
        connection=get_connection(timeout=timeout),
    )


def _overdue_listing(account_id: int, as_of: date) -> str:
    """A customer-level reminder lists every overdue invoice of the account."""
    invoices = (
        selectors.open_invoices()
        .filter(account_id=account_id, due_date__lt=as_of)
        .order_by("due_date", "pk")
    )
    rows = [
        f"- {i.number}, due {i.due_date:%d %b %Y}: {format_money(i.open_amount, i.currency)}"
        for i in invoices
    ]
    return "\n\nAll overdue invoices on your account:\n" + "\n".join(rows) + "\n"


def _open_call_task(reminder: DunningReminder, invoice: Invoice, step: DunningStep) -> None:
    task = CollectionActivity(
        account_id=reminder.account_id,
        invoice=invoice,
        kind=ActivityKind.CALL,
        status=ActivityStatus.OPEN,
        body=f"{step.policy.name}: every reminder for {invoice.number} has gone out; "
        f"call the customer ({step.label}).",
        reminder=reminder,
    )
    audit_next_save(task, actor=None, reason="dunning.call_flagged")
    task.save()


# --- Per-account settings -----------------------------------------------------------------------


def _locked_setting(account: Account) -> AccountDunning:
    """The account's row, locked; unsaved when it has none yet (the caller's save creates
    it, so the history has one entry, with the actor). The account lock also orders this
    after a dunning run that is sending to the account."""
    Account.objects.select_for_update().filter(pk=account.pk).first()
    setting = AccountDunning.objects.filter(pk=account.pk).first()
    return setting or AccountDunning(account=account)


@transaction.atomic(durable=True)
def pause_dunning(*, account: Account, reason: str, actor) -> AccountDunning:
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason", code=CollectionsError.REQUIRED, message="Say why dunning is paused."
        )
    if len(reason) > 200:
        raise DomainValidationError(
            field="reason",
            code=CollectionsError.TOO_LONG,
            message="Keep the reason under 200 characters.",
        )
    setting = _locked_setting(account)
    if setting.paused:
        raise DomainValidationError(
            field="paused",
            code=CollectionsError.ALREADY_PAUSED,
            message="Dunning is already paused.",
        )
    setting.paused = True
    setting.pause_reason = reason
    setting.paused_at = timezone.now()
    setting.paused_by = actor_or_none(actor)
    audit_next_save(setting, actor=actor, reason=f"dunning.paused: {reason}")
    setting.save()
    return setting


@transaction.atomic(durable=True)
def resume_dunning(*, account: Account, actor) -> AccountDunning:
    setting = _locked_setting(account)
    if not setting.paused:
        raise DomainValidationError(
            field="paused", code=CollectionsError.NOT_PAUSED, message="Dunning is not paused."
        )
    setting.paused = False
    setting.pause_reason = ""
    setting.paused_at = None
    setting.paused_by = None
    audit_next_save(setting, actor=actor, reason="dunning.resumed")
    setting.save()
    return setting


@transaction.atomic(durable=True)
def set_account_dunning(
    *, account: Account, policy: DunningPolicy | None, excluded: bool, actor
) -> AccountDunning:
    """Another policy than the default (None: the default), or no dunning at all."""
    if policy is not None and not policy.active:
        raise DomainValidationError(
            field="policy",
            code=CollectionsError.INACTIVE_POLICY,
            message=f"{policy} is inactive; choose an active policy.",
        )
    setting = _locked_setting(account)
    setting.policy = policy
    setting.excluded = excluded
    what = "excluded" if excluded else f"policy {policy or 'default'}"
    audit_next_save(setting, actor=actor, reason=f"dunning.settings: {what}")
    setting.save()
    return setting
