"""Threshold alerts on commitments and credits (e.g. 80 % and 100 % used): each threshold
is alerted once per commitment, however often the check runs. The unique (commitment,
threshold) row is the guard: only the insert that made the row enqueues the e-mail (on
commit); a concurrent run's insert fails on the constraint and sends nothing."""

from __future__ import annotations

from datetime import date

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.usage.models import BalanceAlert, Commitment
from billing.usage.selectors import commitment_balances

ON_ALERT: list = []  # tasks.py registers the e-mail enqueue here


@transaction.atomic(durable=True)
def send_balance_alerts(
    *, as_of: date, contract_ids: list[int] | None = None
) -> list[BalanceAlert]:
    commitments = Commitment.objects.select_related("contract").exclude(alert_thresholds=[])
    if contract_ids is not None:
        commitments = commitments.filter(contract_id__in=contract_ids)
    made = []
    for balance in commitment_balances(commitments, as_of):
        commitment = balance.commitment
        for threshold in commitment.alert_thresholds:
            if balance.percent_used < threshold:
                continue
            if BalanceAlert.objects.filter(commitment=commitment, threshold=threshold).exists():
                continue
            try:
                with transaction.atomic():  # a concurrent run's row makes this one fail
                    alert = BalanceAlert.objects.create(
                        commitment=commitment,
                        threshold=threshold,
                        percent_used=balance.percent_used,
                        account_id=commitment.contract.account_id,
                    )
            except IntegrityError:
                continue
            made.append(alert)
    for alert in made:
        for hook in ON_ALERT:
            transaction.on_commit(lambda hook=hook, pk=alert.pk: hook(pk))
    return made


@transaction.atomic(durable=True)
def deliver_balance_alert(*, alert_id: int) -> bool:
    """E-mails an alert to the account's billing contacts; a retried task sends nothing
    twice (the alert is locked and marked)."""
    alert = (
        BalanceAlert.objects.select_for_update(of=("self",))
        .select_related("commitment__contract", "account")
        .get(pk=alert_id)
    )
    if alert.emailed_at is not None:
        return False
    recipients = list(
        alert.account.contacts.filter(is_billing_contact=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return False
    commitment = alert.commitment
    send_mail(
        subject=f"{commitment.name}: {alert.threshold}% used",
        message=(
            f"{commitment.name} on contract {commitment.contract.reference} is "
            f"{alert.percent_used}% used (alert threshold {alert.threshold}%). "
            f"It runs until {commitment.ends_on:%d %b %Y}."
        ),
        from_email=None,
        recipient_list=recipients,
    )
    alert.emailed_at = timezone.now()
    alert.save(update_fields=["emailed_at"])
    return True
