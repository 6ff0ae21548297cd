from django.apps import AppConfig


class RevenueConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.revenue"
    label = "revenue"
    verbose_name = "Revenue recognition"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed_beat, sender=self, dispatch_uid="ledgerline_seed_revenue_beat")
        from billing.revenue.services import recognise_on_activation
        from billing.revenue.services.termination import end_revenue_on_cancellation
        from ordermgmt.services.contracts import ON_ACTIVATION, ON_CANCELLATION

        # Runs inside activate_contract's transaction, after billing made the schedule
        # (billing is earlier in INSTALLED_APPS, so its hook is appended first).
        if recognise_on_activation not in ON_ACTIVATION:
            ON_ACTIVATION.append(recognise_on_activation)
        if end_revenue_on_cancellation not in ON_CANCELLATION:
            ON_CANCELLATION.append(end_revenue_on_cancellation)
        # A change order is classified and re-versions the revenue, after billing re-planned
        # the schedule (billing's hook is registered first).
        from billing.revenue.services.change_orders import account_for_change
        from ordermgmt.services.change_orders import ON_CHANGE

        if account_for_change not in ON_CHANGE:
            ON_CHANGE.append(account_for_change)
        # A tax-inclusive contract's transaction price follows the net each invoice
        # splits, in the issuing transaction (services/tax_inclusive.py).
        from billing.revenue.services.tax_inclusive import true_up_to_invoiced_net
        from billing.services.invoicing import ON_ISSUE_IN_TRANSACTION

        if true_up_to_invoiced_net not in ON_ISSUE_IN_TRANSACTION:
            ON_ISSUE_IN_TRANSACTION.append(true_up_to_invoiced_net)


def _seed_beat(sender, **kwargs) -> None:
    from billing.revenue.tasks import seed_compaction_schedule

    seed_compaction_schedule(using=kwargs.get("using", "default"))
