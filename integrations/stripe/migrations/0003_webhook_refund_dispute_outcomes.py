from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("stripe_billing", "0002_roles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stripewebhookevent",
            name="outcome",
            field=models.CharField(
                choices=[
                    ("received", "Received, not processed yet"),
                    ("payment_recorded", "Payment recorded and applied"),
                    ("payment_unapplied", "Payment recorded, left unapplied"),
                    ("already_recorded", "Payment already recorded"),
                    ("paid_out_of_band", "Paid outside Stripe: record the cash by hand"),
                    ("status_noted", "Stripe status noted"),
                    ("voided_in_stripe", "Voided in Stripe but not here: review"),
                    (
                        "refunded_in_stripe",
                        "Refunded in Stripe: reverse the application and record the refund here",
                    ),
                    (
                        "disputed_in_stripe",
                        "Disputed in Stripe: answer the dispute in Stripe and follow it up here",
                    ),
                    ("unknown_invoice", "Not a Ledgerline invoice: ignored"),
                    ("mismatch", "Does not match our invoice: ignored"),
                    ("ignored_type", "Event type not used: ignored"),
                    ("error", "Processing failed; Stripe will redeliver"),
                ],
                default="received",
                max_length=20,
            ),
        ),
    ]
