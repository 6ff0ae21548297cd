from django.apps import AppConfig


class StripeBillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations.stripe"
    label = "stripe_billing"
    verbose_name = "Stripe"

    def ready(self) -> None:
        from billing.services.credit_notes import ON_CREDIT_NOTE, ON_CREDIT_NOTE_IN_TRANSACTION
        from billing.services.invoicing import ON_ISSUE, ON_ISSUE_IN_TRANSACTION

        from .hooks import (
            enqueue_credit_note_push,
            enqueue_invoice_push,
            enqueue_waiting_credit_notes,
            record_credit_note_push_intent,
            record_invoice_push_intent,
        )
        from .push import ON_INVOICE_PUSHED

        # Always registered; each hook checks STRIPE_ENABLED when it runs, so the
        # setting can change (per test, per deployment) without re-importing anything.
        for hooks, hook in [
            (ON_ISSUE_IN_TRANSACTION, record_invoice_push_intent),
            (ON_CREDIT_NOTE_IN_TRANSACTION, record_credit_note_push_intent),
            (ON_ISSUE, enqueue_invoice_push),
            (ON_CREDIT_NOTE, enqueue_credit_note_push),
            (ON_INVOICE_PUSHED, enqueue_waiting_credit_notes),
        ]:
            if hook not in hooks:
                hooks.append(hook)
