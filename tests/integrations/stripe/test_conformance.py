"""The simulator answers as Stripe does at the version we pin, field by field.

Every simulator operation the product uses (and the ones tests use to play the customer,
the bank and the dashboard) is driven through the official `stripe` library, and each
response and each webhook payload is checked against the library's own typed resource
classes (`integrations.stripe.shapes`, strict): no field the pinned version does not
declare, every always-present field there, types and enum values as declared. The
library is generated for exactly `stripe.api_version`, which is also our default pin.
What the types cannot say (fields Stripe returns only on `expand[]`, never in events) is
checked from Stripe's changelog (2026-05-27.dahlia).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from integrations.stripe import shapes
from integrations.stripe.client import api_version
from integrations.stripe.simulator.context import API_VERSION
from integrations.stripe.webhooks import SUBSCRIBED_EVENTS

INCLUDABLE_INVOICE_FIELDS = ("amount_paid_off_stripe", "payments")


def raw(obj: stripe.StripeObject) -> dict[str, Any]:
    """The JSON the simulator sent, not the library's parsed copy."""
    return json.loads(obj.last_response.body)


def strict_problems(body: dict[str, Any], cls: type | None = None) -> list[str]:
    cls = cls or shapes.resource_class(body["object"])
    assert cls is not None, f"the library has no class for {body['object']!r}"
    return shapes.problems(body, cls, strict=True)


class Recorder:
    def __init__(self) -> None:
        self.checked: dict[str, list[str]] = {}

    def check(self, label: str, obj: stripe.StripeObject, cls: type | None = None) -> Any:
        body = raw(obj)
        if body.get("object") == "list":
            found = [p for item in body["data"] for p in strict_problems(item, cls)]
        else:
            found = strict_problems(body, cls)
        self.checked[label] = found
        return obj


def test_the_simulator_speaks_the_version_the_library_and_the_product_pin(settings):
    settings.STRIPE_API_VERSION = ""
    assert API_VERSION == stripe.api_version == api_version()


def test_every_operation_the_product_uses_answers_as_the_library_declares(
    stripe_client, stripe_simulator, webhook_receiver
):
    from stripe._invoice_line_item import InvoiceLineItem

    r = Recorder()
    v1 = stripe_client.v1
    endpoint = r.check(
        "webhook_endpoints.create",
        v1.webhook_endpoints.create(
            params={
                "url": webhook_receiver.url,
                "enabled_events": SUBSCRIBED_EVENTS + ["invoice.created", "refund.created"],
                "api_version": API_VERSION,
            }
        ),
    )
    r.check("webhook_endpoints.list", v1.webhook_endpoints.list())
    customer = r.check(
        "customers.create",
        v1.customers.create(
            params={"name": "Acme", "email": "ap@acme.test", "metadata": {"a": "1"}}
        ),
    )
    r.check("customers.update", v1.customers.update(customer.id, params={"name": "Acme Corp"}))
    invoices = []
    for n in range(4):
        invoice = r.check(
            "invoices.create",
            v1.invoices.create(
                params={
                    "customer": customer.id,
                    "currency": "usd",
                    "collection_method": "send_invoice",
                    "days_until_due": 30,
                    "auto_advance": False,
                    "metadata": {"ledgerline_invoice_id": str(n)},
                }
            ),
        )
        r.check(
            "invoice_items.create",
            v1.invoice_items.create(
                params={
                    "customer": customer.id,
                    "invoice": invoice.id,
                    "currency": "usd",
                    "amount": 10_000,
                    "description": "Seats",
                }
            ),
        )
        invoices.append(invoice)
    r.check("invoice_items.list", v1.invoice_items.list(params={"invoice": invoices[0].id}))
    r.check("invoices.list", v1.invoices.list(params={"customer": customer.id}))
    r.check("invoices.list_lines", v1.invoices.line_items.list(invoices[0].id), InvoiceLineItem)
    deleted = raw(v1.invoices.delete(invoices[2].id))
    assert deleted == {"id": invoices[2].id, "object": "invoice", "deleted": True}
    for invoice in (invoices[0], invoices[1], invoices[3]):
        r.check("invoices.finalize_invoice", v1.invoices.finalize_invoice(invoice.id))
    r.check("invoices.void_invoice", v1.invoices.void_invoice(invoices[3].id))
    r.check(
        "credit_notes.create",
        v1.credit_notes.create(
            params={"invoice": invoices[1].id, "amount": 1_000, "reason": "order_change"}
        ),
    )
    r.check("credit_notes.list", v1.credit_notes.list(params={"invoice": invoices[1].id}))
    r.check(
        "invoices.pay out of band",
        v1.invoices.pay(invoices[1].id, params={"paid_out_of_band": True}),
    )
    stripe_simulator.customer_pay(invoices[0].id, "pm_card_visa")
    r.check("invoices.retrieve", v1.invoices.retrieve(invoices[0].id))
    r.check(
        "invoices.retrieve with includables",
        v1.invoices.retrieve(invoices[0].id, params={"expand": list(INCLUDABLE_INVOICE_FIELDS)}),
    )
    payments = r.check(
        "invoice_payments.list by payment intent",
        v1.invoice_payments.list(params={"invoice": invoices[0].id}),
    )
    (charge,) = r.check("charges.list", v1.charges.list(params={"customer": customer.id})).data
    r.check("charges.retrieve", v1.charges.retrieve(charge.id))
    r.check(
        "invoice_payments.list by payment intent",
        v1.invoice_payments.list(
            params={"payment": {"type": "payment_intent", "payment_intent": charge.payment_intent}}
        ),
    )
    assert payments.data
    r.check("refunds.create", v1.refunds.create(params={"charge": charge.id, "amount": 500}))
    dispute = stripe_simulator.open_dispute(charge.id, amount=1_000)
    r.check("disputes.update", v1.disputes.update(dispute["id"], params={"submit": True}))
    stripe_simulator.close_dispute(dispute["id"], won=True)
    r.check("disputes.retrieve", v1.disputes.retrieve(dispute["id"]))
    assert stripe_simulator.wait_for_webhooks(timeout=15)
    assert raw(v1.webhook_endpoints.delete(endpoint.id))["deleted"] is True
    events = [json.loads(d.body) for d in webhook_receiver.deliveries]
    assert {e["type"] for e in events} >= {
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "charge.succeeded",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.updated",
        "charge.dispute.funds_reinstated",
        "charge.dispute.closed",
    }
    for event in events:
        r.checked[f"event {event['type']}"] = strict_problems(event, stripe.Event)
        r.checked[f"event {event['type']} object"] = strict_problems(event["data"]["object"])
        assert event["api_version"] == API_VERSION
    assert {label: found for label, found in r.checked.items() if found} == {}


def test_includable_invoice_fields_come_only_when_expanded_and_never_in_events(
    stripe_client, stripe_simulator, make_stripe_invoice, webhook_receiver
):
    stripe_client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["*"]}
    )
    invoice = make_stripe_invoice((10_000,))
    paid = stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    plain = raw(stripe_client.v1.invoices.retrieve(invoice.id))
    expanded = raw(
        stripe_client.v1.invoices.retrieve(
            invoice.id, params={"expand": list(INCLUDABLE_INVOICE_FIELDS)}
        )
    )
    assert not set(INCLUDABLE_INVOICE_FIELDS) & (set(raw(paid)) | set(plain))
    assert expanded["amount_paid_off_stripe"] == 10_000 == expanded["amount_paid"]
    assert expanded["payments"]["object"] == "list" and expanded["payments"]["data"] == []
    assert stripe_simulator.wait_for_webhooks(timeout=15)
    payloads = [json.loads(d.body)["data"]["object"] for d in webhook_receiver.deliveries]
    assert payloads and not any(set(INCLUDABLE_INVOICE_FIELDS) & set(p) for p in payloads)


def test_a_charge_no_longer_names_its_invoice_its_invoice_payment_does(
    stripe_client, stripe_simulator, make_stripe_invoice
):
    invoice = make_stripe_invoice((10_000,))
    stripe_simulator.customer_pay(invoice.id)
    (charge,) = stripe_client.v1.charges.list().data
    assert "invoice" not in raw(stripe_client.v1.charges.retrieve(charge.id))
    (payment,) = stripe_client.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": charge.payment_intent}}
    ).data
    assert (payment.invoice, payment.amount_paid, payment.status) == (invoice.id, 10_000, "paid")


def test_a_request_or_an_endpoint_at_another_version_is_refused(stripe_simulator, stripe_client):
    other = stripe.StripeClient(
        api_key="sk_test_x",
        base_addresses={"api": stripe_simulator.url},
        stripe_version="2024-06-20",
        max_network_retries=0,
    )
    with pytest.raises(stripe.InvalidRequestError):
        other.v1.customers.list()
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.webhook_endpoints.create(
            params={
                "url": "http://127.0.0.1:9/x",
                "enabled_events": ["*"],
                "api_version": "2024-06-20",
            }
        )
    assert err.value.param == "api_version"


# The check itself must be able to fail, or the conformance test above proves nothing.


def test_the_check_refuses_a_field_the_pinned_version_does_not_send(
    stripe_client, stripe_simulator, make_stripe_invoice
):
    invoice = make_stripe_invoice((10_000,))
    stripe_simulator.customer_pay(invoice.id)
    (charge,) = stripe_client.v1.charges.list().data
    body = raw(stripe_client.v1.charges.retrieve(charge.id))
    assert strict_problems(body) == []
    body["invoice"] = invoice.id  # what API versions before 2025-03-31.basil sent
    assert strict_problems(body) == ["Charge.invoice: not a field of Charge at this version"]


def test_the_check_refuses_a_wrong_type_an_unknown_enum_value_and_a_missing_field(
    stripe_client, make_stripe_invoice
):
    body = raw(stripe_client.v1.invoices.retrieve(make_stripe_invoice((10_000,)).id))
    assert strict_problems(body) == []
    wrong = {**body, "amount_paid": "10000", "status": "settled"}
    del wrong["amount_due"]
    found = strict_problems(wrong)
    assert "Invoice.amount_paid: str where the library declares <class 'int'>" in found
    assert any(p.startswith("Invoice.status: 'settled' is not one of") for p in found)
    assert "Invoice.amount_due: missing (always present in Invoice)" in found
    nested = {**body, "status_transitions": {**body["status_transitions"], "paid_at": "today"}}
    assert strict_problems(nested) == [
        "Invoice.status_transitions.paid_at: str where the library declares <class 'int'>"
    ]
