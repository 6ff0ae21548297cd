from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from billing.services import create_billing_schedule
        from billing.services.credit_notes import ON_CREDIT_NOTE
        from billing.services.invoicing import ON_ISSUE
        from billing.services.runs import ON_RUN_QUEUED
        from billing.services.schedules import stop_billing_on_cancellation
        from billing.tasks import queue_credit_note_pdf, queue_invoice_delivery, run_billing
        from ordermgmt.services.contracts import ON_ACTIVATION, ON_CANCELLATION

        # Activation makes the billing schedule, in the same transaction.
        if create_billing_schedule not in ON_ACTIVATION:
            ON_ACTIVATION.append(create_billing_schedule)
        if stop_billing_on_cancellation not in ON_CANCELLATION:
            ON_CANCELLATION.append(stop_billing_on_cancellation)
        if not ON_RUN_QUEUED:
            ON_RUN_QUEUED.append(lambda run_id: run_billing.delay(run_id))
        # After commit: store the PDF and e-mail it (invoices), store the PDF (credit notes).
        if queue_invoice_delivery not in ON_ISSUE:
            ON_ISSUE.append(queue_invoice_delivery)
        if queue_credit_note_pdf not in ON_CREDIT_NOTE:
            ON_CREDIT_NOTE.append(queue_credit_note_pdf)

        from billing.services.resend import ON_RESEND
        from billing.tasks import queue_invoice_resend

        if queue_invoice_resend not in ON_RESEND:
            ON_RESEND.append(queue_invoice_resend)
        # A change order re-plans the schedule (credits, debits) in its own transaction.
        from billing.services.change_orders import apply_change_to_schedule, invoiced_through
        from ordermgmt.services.change_orders import INVOICED_THROUGH, ON_CHANGE

        if apply_change_to_schedule not in ON_CHANGE:
            ON_CHANGE.append(apply_change_to_schedule)
        if invoiced_through not in INVOICED_THROUGH:
            INVOICED_THROUGH.append(invoiced_through)
        # Back-billing guard: activation of a contract started in the past is confirmed.
        from billing.services.catch_up import require_catch_up_confirmation
        from ordermgmt.services.contracts import ACTIVATION_GUARDS

        if require_catch_up_confirmation not in ACTIVATION_GUARDS:
            ACTIVATION_GUARDS.append(require_catch_up_confirmation)
        from billing.selectors.catch_up import catch_up_preview
        from ordermgmt.services.contracts import ACTIVATION_PREVIEWS

        if catch_up_preview not in ACTIVATION_PREVIEWS:
            ACTIVATION_PREVIEWS.append(catch_up_preview)
