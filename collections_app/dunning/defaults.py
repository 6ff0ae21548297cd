"""The dunning policy and beat schedule Ledgerline starts with.

Seeded by migration 0003 and again after a test flush (post_migrate) when there is no
policy at all: policies are deactivated rather than deleted (a used step cannot be
deleted), so an empty table means a fresh database.

Default B2B schedule (research/accounting-conventions.md section 7): -7, 0, +3, +7, +14,
+30 days from the due date, then a call at +35 (five days after the final reminder, so
the customer has had time to answer it). Minimum contact delay: 3 days, the shortest gap
in the schedule itself, so that it only ever bites across invoices of one account.
"""

from __future__ import annotations

DEFAULT_POLICY_NAME = "Standard B2B"
DEFAULT_MIN_CONTACT_DAYS = 3

PERIODIC_TASK_NAME = "Dunning: send due reminders (daily)"
PERIODIC_TASK = "collections_app.tasks.send_dunning_reminders"
CRONTAB = {
    "minute": "0",
    "hour": "6",
    "day_of_week": "*",
    "day_of_month": "*",
    "month_of_year": "*",
}
CRONTAB_TIMEZONE = "UTC"

_SIGNATURE = "Kind regards,\n{{ seller }} accounts receivable"

DEFAULT_STEPS: list[dict] = [
    {
        "offset_days": -7,
        "name": "Upcoming",
        "subject_template": "Invoice {{ invoice_number }} is due on {{ due_date }}",
        "body_template": (
            "Hello {{ customer }},\n\n"
            "A friendly note that invoice {{ invoice_number }} for {{ amount_due }} is due "
            "on {{ due_date }}, in {{ days_until_due }} days.\n\n"
            "If payment is already on its way, thank you, and please disregard this "
            "message.\n\n" + _SIGNATURE
        ),
    },
    {
        "offset_days": 0,
        "name": "Due date",
        "subject_template": "Invoice {{ invoice_number }} is due today",
        "body_template": (
            "Hello {{ customer }},\n\n"
            "Invoice {{ invoice_number }} for {{ amount_due }} is due today, "
            "{{ due_date }}.\n\n"
            "If you have already paid, thank you, and please disregard this message.\n\n"
            + _SIGNATURE
        ),
    },
    {
        "offset_days": 3,
        "name": "Overdue",
        "subject_template": "Reminder: invoice {{ invoice_number }} is overdue",
        "body_template": (
            "Hello {{ customer }},\n\n"
            "We have not yet received payment of invoice {{ invoice_number }}, which was "
            "due on {{ due_date }}. The amount due is {{ amount_due }}.\n\n"
            "Could you let us know when we can expect payment? If you have paid in the "
            "last few days, please disregard this message.\n\n" + _SIGNATURE
        ),
    },
    {
        "offset_days": 7,
        "name": "Second reminder",
        "subject_template": (
            "Second reminder: invoice {{ invoice_number }} is {{ days_past_due }} days overdue"
        ),
        "body_template": (
            "Hello {{ customer }},\n\n"
            "Invoice {{ invoice_number }} ({{ amount_due }} due) is now {{ days_past_due }} "
            "days past its due date of {{ due_date }}.\n\n"
            "Please arrange payment, or reply to this e-mail if something on the invoice "
            "needs to be corrected.\n\n" + _SIGNATURE
        ),
    },
    {
        "offset_days": 14,
        "name": "Third reminder",
        "subject_template": (
            "Overdue invoice {{ invoice_number }}: {{ amount_due }}, {{ days_past_due }} "
            "days past due"
        ),
        "body_template": (
            "Hello {{ customer }},\n\n"
            "Despite our earlier reminders, invoice {{ invoice_number }} remains unpaid, "
            "{{ days_past_due }} days after its due date of {{ due_date }}. The amount due "
            "is {{ amount_due }}.\n\n"
            "Please pay it this week, or tell us by reply what is holding the payment "
            "up.\n\n" + _SIGNATURE
        ),
    },
    {
        "offset_days": 30,
        "name": "Final reminder",
        "subject_template": (
            "Final reminder: invoice {{ invoice_number }} is {{ days_past_due }} days overdue"
        ),
        "body_template": (
            "Hello {{ customer }},\n\n"
            "Invoice {{ invoice_number }} for {{ amount_due }} is now {{ days_past_due }} "
            "days overdue (due {{ due_date }}). This is our final written reminder; our "
            "accounts receivable team will call you about it next.\n\n" + _SIGNATURE
        ),
    },
    {"offset_days": 35, "name": "Call", "action": "call"},
]


def seed_default_policy(DunningPolicy, DunningStep) -> None:
    """Idempotent: creates the default policy when no policy exists at all."""
    if DunningPolicy.objects.exists():
        return
    policy = DunningPolicy.objects.create(
        name=DEFAULT_POLICY_NAME,
        description="Default schedule for business customers: e-mails from a week before "
        "the due date to 30 days after it, then a call.",
        min_contact_days=DEFAULT_MIN_CONTACT_DAYS,
        is_default=True,
        active=True,
    )
    for step in DEFAULT_STEPS:
        DunningStep.objects.create(
            policy=policy,
            offset_days=step["offset_days"],
            name=step["name"],
            action=step.get("action", "email"),
            subject_template=step.get("subject_template", ""),
            body_template=step.get("body_template", ""),
        )


def seed_beat_schedule(CrontabSchedule, PeriodicTask) -> None:
    """Idempotent: the daily run in django-celery-beat (editable in the admin)."""
    if PeriodicTask.objects.filter(name=PERIODIC_TASK_NAME).exists():
        return
    crontab = CrontabSchedule.objects.filter(**CRONTAB, timezone=CRONTAB_TIMEZONE).first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**CRONTAB, timezone=CRONTAB_TIMEZONE)
    PeriodicTask.objects.create(
        name=PERIODIC_TASK_NAME,
        task=PERIODIC_TASK,
        crontab=crontab,
        enabled=True,
        description="Sends the dunning reminders whose step is due today, and flags the "
        "accounts to call. Safe to run again: a step is never sent twice for an invoice.",
    )
