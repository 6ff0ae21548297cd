"""Statements of account by e-mail: on demand, and monthly for the accounts that ask
for it (AccountDunning.monthly_statement), once per account, currency and month.

The monthly claim is a unique StatementDelivery row inserted in the same transaction as
the e-mail is sent: a re-run, or a second worker, finds the row and sends nothing; a
failed send rolls the claim back and the next run tries again."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from collections_app.error_codes import CollectionsError
from collections_app.models import AccountDunning
from collections_app.selectors import billing_contact_emails
from collections_app.statements.models import StatementDelivery, StatementKind
from collections_app.statements.render import statement_pdf_bytes
from collections_app.statements.selectors import statement_currencies, statement_of_account
from core.bounds import check_past_date
from core.errors import DomainValidationError
from core.money import format_money
from ordermgmt.models import Account

logger = logging.getLogger(__name__)


def _message(statement, recipients: list[str]) -> EmailMessage:
    account = statement.account
    period = f"{statement.start:%d %b %Y} to {statement.end:%d %b %Y}"
    message = EmailMessage(
        subject=f"Statement of account {period} ({statement.currency})",
        body=(
            f"Dear {account.legal_name},\n\nAttached is your statement of account for "
            f"{period}. The balance on {statement.end:%d %b %Y} is "
            f"{format_money(statement.closing, statement.currency)}.\n\n"
            "Please contact us if anything on it does not match your records.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    name = f"statement-{account.pk}-{statement.currency}-{statement.start}-{statement.end}.pdf"
    message.attach(name, statement_pdf_bytes(statement), "application/pdf")
    return message


def _recipients(account: Account) -> list[str]:
    recipients = billing_contact_emails(account.pk)
    if not recipients:
        raise DomainValidationError(
            field="account",
            code=CollectionsError.NO_BILLING_CONTACT,
            message=f"{account.legal_name} has no billing contact with an e-mail address.",
        )
    return recipients


@transaction.atomic(durable=True)
def email_statement(
    *, account: Account, start: date, end: date, actor, currency: str | None = None
) -> StatementDelivery:
    """On demand: the statement of the period, PDF attached, to the billing contacts."""
    check_past_date(start, field="start", what="start date")
    check_past_date(end, field="end", what="end date")
    recipients = _recipients(account)
    statement = statement_of_account(account=account, start=start, end=end, currency=currency)
    delivery = StatementDelivery.objects.create(
        account=account, currency=statement.currency, period_start=start, period_end=end,
        kind=StatementKind.ON_DEMAND, recipients=recipients,
        closing_balance=statement.closing,
        sent_by=actor if getattr(actor, "pk", None) else None,
    )  # fmt: skip
    _message(statement, recipients).send()
    return delivery


def previous_month(as_of: date) -> tuple[date, date]:
    end = as_of.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


@dataclass
class MonthlyRun:
    start: date
    end: date
    sent: int = 0
    already_sent: int = 0
    no_contact: int = 0

    def as_dict(self) -> dict:
        return {
            "period": [self.start.isoformat(), self.end.isoformat()],
            "sent": self.sent,
            "already_sent": self.already_sent,
            "no_contact": self.no_contact,
        }


def send_monthly_statements(*, as_of: date | None = None) -> MonthlyRun:
    """Last month's statement, per currency, to every account asking for it. Safe to run
    again: each (account, currency, month) is sent once."""
    start, end = previous_month(as_of or timezone.localdate())
    run = MonthlyRun(start, end)
    accounts = Account.objects.filter(
        pk__in=AccountDunning.objects.filter(monthly_statement=True).values("account_id")
    ).order_by("pk")
    for account in accounts:
        recipients = billing_contact_emails(account.pk)
        if not recipients:
            run.no_contact += 1
            continue
        for currency in statement_currencies(account):
            if _send_monthly(account, currency, start, end, recipients):
                run.sent += 1
            else:
                run.already_sent += 1
    logger.info("Monthly statements %s..%s: %s", start, end, run.as_dict())
    return run


@transaction.atomic(durable=True)
def _send_monthly(account, currency: str, start: date, end: date, recipients) -> bool:
    statement = statement_of_account(account=account, start=start, end=end, currency=currency)
    try:
        with transaction.atomic():
            StatementDelivery.objects.create(
                account=account, currency=currency, period_start=start, period_end=end,
                kind=StatementKind.MONTHLY, recipients=recipients,
                closing_balance=statement.closing,
            )  # fmt: skip
    except IntegrityError:
        return False  # sent by an earlier run
    _message(statement, recipients).send()
    return True
