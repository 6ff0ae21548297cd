import pytest
import stripe

DAY = 86400


def test_send_invoice_keeps_create_time_metadata_and_sums_usd_lines(
    stripe_client, stripe_customer, make_stripe_invoice
):
    invoice = make_stripe_invoice(
        (10_000, 2_550), finalize=False, metadata={"invoice_number": "INV-2026-0001"}
    )

    assert invoice.id.startswith("in_")
    assert invoice.status == "draft"
    assert invoice.number is None
    assert invoice.metadata.to_dict() == {"invoice_number": "INV-2026-0001"}
    assert (invoice.currency, invoice.collection_method) == ("usd", "send_invoice")
    assert (invoice.subtotal, invoice.total, invoice.amount_due) == (12_550, 12_550, 12_550)
    assert (invoice.amount_paid, invoice.amount_remaining) == (0, 12_550)
    assert [line.amount for line in invoice.lines.data] == [10_000, 2_550]
    assert invoice.lines.data[0].id.startswith("il_")
    assert invoice.lines.data[0].parent.invoice_item_details.invoice_item.startswith("ii_")


def test_jpy_invoice_amounts_are_whole_yen(stripe_client, stripe_customer):
    invoice = stripe_client.v1.invoices.create(
        params={
            "customer": stripe_customer.id,
            "currency": "jpy",
            "collection_method": "send_invoice",
            "days_until_due": 14,
        }
    )
    stripe_client.v1.invoice_items.create(
        params={
            "customer": stripe_customer.id,
            "invoice": invoice.id,
            "currency": "jpy",
            "quantity": 3,
            "unit_amount_decimal": "3333",
            "period": {"start": 1_790_000_000, "end": 1_792_592_000},
        }
    )

    invoice = stripe_client.v1.invoices.retrieve(invoice.id)

    assert invoice.currency == "jpy"
    assert invoice.total == 9_999
    assert isinstance(invoice.total, int)
    line = invoice.lines.data[0]
    assert (line.quantity, line.period.start, line.period.end) == (3, 1_790_000_000, 1_792_592_000)


def test_finalize_assigns_number_and_due_date_from_days_until_due(make_stripe_invoice):
    invoice = make_stripe_invoice()

    finalized_at = invoice.status_transitions.finalized_at
    assert invoice.status == "open"
    assert invoice.number.endswith("-0001")
    assert invoice.due_date == finalized_at + 30 * DAY
    assert invoice.hosted_invoice_url.endswith(f"/_sim/hosted/{invoice.id}")


def test_numbers_follow_the_customers_sequence(make_stripe_invoice):
    first, second = make_stripe_invoice(), make_stripe_invoice()

    prefix = first.number.rsplit("-", 1)[0]
    assert second.number == f"{prefix}-0002"


def test_finalizing_an_open_invoice_is_refused(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.finalize_invoice(invoice.id)

    assert err.value.http_status == 400
    assert err.value.code == "invoice_not_editable"


def test_send_then_pay_out_of_band_settles_the_invoice(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()

    sent = stripe_client.v1.invoices.send_invoice(invoice.id)
    paid = stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    assert sent.status == "open"
    assert paid.status == "paid"
    assert (paid.amount_paid, paid.amount_remaining) == (12_500, 0)
    assert "amount_paid_off_stripe" not in paid  # includable only since 2026-05-27.dahlia
    expanded = stripe_client.v1.invoices.retrieve(
        invoice.id, params={"expand": ["amount_paid_off_stripe"]}
    )
    assert expanded.amount_paid_off_stripe == 12_500
    assert paid.status_transitions.paid_at is not None


def test_open_invoice_can_be_voided(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()

    voided = stripe_client.v1.invoices.void_invoice(invoice.id)

    assert voided.status == "void"
    assert voided.status_transitions.voided_at is not None


def test_voiding_a_paid_invoice_is_refused(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()
    stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.void_invoice(invoice.id)

    assert err.value.http_status == 400
    assert err.value.code == "invoice_not_editable"
    assert err.value.json_body["error"]["type"] == "invalid_request_error"
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_open_invoice_can_be_marked_uncollectible_then_paid(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()

    uncollectible = stripe_client.v1.invoices.mark_uncollectible(invoice.id)
    paid = stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    assert uncollectible.status == "uncollectible"
    assert paid.status == "paid"


def test_send_invoice_without_due_terms_is_refused(stripe_client, stripe_customer):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.create(
            params={"customer": stripe_customer.id, "collection_method": "send_invoice"}
        )

    assert (err.value.code, err.value.param) == ("parameter_missing", "days_until_due")


def test_finalized_invoice_accepts_metadata_but_not_terms(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()

    updated = stripe_client.v1.invoices.update(invoice.id, params={"metadata": {"po": "PO-7"}})
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.update(invoice.id, params={"days_until_due": 60})

    assert updated.metadata.po == "PO-7"
    assert (err.value.code, err.value.param) == ("invoice_not_editable", "days_until_due")


def test_draft_can_be_deleted_with_its_items(stripe_client, stripe_simulator, make_stripe_invoice):
    draft = make_stripe_invoice(finalize=False)

    deleted = stripe_client.v1.invoices.delete(draft.id)

    assert deleted.deleted is True
    assert stripe_simulator.count("invoices") == 0
    assert stripe_simulator.count("invoiceitems") == 0
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.retrieve(draft.id)
    assert err.value.http_status == 404


def test_pending_items_join_only_when_asked(stripe_client, stripe_customer):
    stripe_client.v1.invoice_items.create(
        params={"customer": stripe_customer.id, "currency": "usd", "amount": 700}
    )

    excluded = stripe_client.v1.invoices.create(params={"customer": stripe_customer.id})
    included = stripe_client.v1.invoices.create(
        params={"customer": stripe_customer.id, "pending_invoice_items_behavior": "include"}
    )

    assert excluded.total == 0
    assert included.total == 700
    pending = stripe_client.v1.invoice_items.list(params={"pending": True})
    assert pending.data == []


def test_item_currency_must_match_its_invoice(stripe_client, make_stripe_invoice, stripe_customer):
    draft = make_stripe_invoice(finalize=False)

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoice_items.create(
            params={
                "customer": stripe_customer.id,
                "invoice": draft.id,
                "currency": "eur",
                "amount": 1,
            }
        )

    assert err.value.param == "currency"


def test_list_filters_by_status_and_pages_with_auto_paging_iter(stripe_client, make_stripe_invoice):
    open_ids = [make_stripe_invoice().id for _ in range(5)]
    make_stripe_invoice(finalize=False)

    first_page = stripe_client.v1.invoices.list(params={"status": "open", "limit": 2})
    every_open = [invoice.id for invoice in first_page.auto_paging_iter()]

    assert len(first_page.data) == 2
    assert first_page.has_more is True
    assert every_open == list(reversed(open_ids))


def test_invoice_embeds_ten_lines_and_pages_the_rest(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice(tuple(range(100, 1300, 100)), finalize=False)

    lines = stripe_client.v1.invoices.line_items.list(invoice.id, params={"limit": 5})

    assert len(invoice.lines.data) == 10
    assert invoice.lines.has_more is True
    assert "total_count" not in invoice.lines  # only with expand[]=total_count since 2022
    assert [line.amount for line in lines.auto_paging_iter()] == list(range(100, 1300, 100))
