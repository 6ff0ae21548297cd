from django.apps import AppConfig


class UsageConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.usage"
    label = "usage"
    verbose_name = "Usage, commitments and credits"

    def ready(self) -> None:
        from billing.services.runs import USAGE_BILLING
        from billing.usage.billing import UsageBilling

        # The billing run asks this hook to price usage lines from the rate card, to add
        # drawdown, overage, true-up and late-usage lines, and to write ledger entries.
        if not any(isinstance(hook, UsageBilling) for hook in USAGE_BILLING):
            USAGE_BILLING.append(UsageBilling())
        from billing.usage.services.alerts import ON_ALERT
        from billing.usage.tasks import _enqueue_alert_email

        if _enqueue_alert_email not in ON_ALERT:
            ON_ALERT.append(_enqueue_alert_email)
        from billing.revenue.selectors.balances import USAGE_REVENUE
        from billing.usage.revenue import usage_revenue_events

        # Revenue reports ask this hook for usage as consumed, credits and breakage.
        if usage_revenue_events not in USAGE_REVENUE:
            USAGE_REVENUE.append(usage_revenue_events)
