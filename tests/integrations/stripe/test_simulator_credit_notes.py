import pytest
import stripe


def test_partial_then_full_credit_settles_an_open_invoice(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice((10_000, 2_500))

    partial = stripe_client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "amount": 2_500,
            "reason": "order_change",
            "memo": "Seat count reduced",
            "metadata": {"credit_memo": "CM-1"},
        }
    )
    after_partial = stripe_client.v1.invoices.retrieve(invoice.id)
    full = stripe_client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 10_000})
    after_full = stripe_client.v1.invoices.retrieve(invoice.id)

    assert partial.id.startswith("cn_")
    assert (partial.status, partial.type, partial.pre_payment_amount) == (
        "issued",
        "pre_payment",
        2_500,
    )
    assert partial.number == f"{invoice.number}-CN-01"
    assert partial.metadata.credit_memo == "CM-1"
    assert (after_partial.status, after_partial.amount_remaining) == ("open", 10_000)
    assert after_partial.pre_payment_credit_notes_amount == 2_500
    assert full.number == f"{invoice.number}-CN-02"
    assert (after_full.status, after_full.amount_remaining) == ("paid", 0)


def test_credit_above_what_remains_is_refused(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice((10_000,))
    stripe_client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 4_000})

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 6_001})

    assert (err.value.code, err.value.param) == ("amount_too_large", "amount")
    assert stripe_client.v1.invoices.retrieve(invoice.id).amount_remaining == 6_000


def test_credit_on_a_paid_invoice_is_recorded_out_of_band(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice((10_000,))
    stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    note = stripe_client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 3_000, "out_of_band_amount": 3_000}
    )

    invoice = stripe_client.v1.invoices.retrieve(invoice.id)
    assert (note.type, note.post_payment_amount, note.out_of_band_amount) == (
        "post_payment",
        3_000,
        3_000,
    )
    assert invoice.post_payment_credit_notes_amount == 3_000
    assert invoice.status == "paid"


def test_post_payment_credit_must_be_allocated(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice((10_000,))
    stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 3_000})

    assert err.value.param == "credit_amount"


def test_credit_by_invoice_line_caps_at_the_line_amount(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice((10_000, 2_500))
    line = invoice.lines.data[1]

    note = stripe_client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "lines": [{"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 2_000}],
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.credit_notes.create(
            params={
                "invoice": invoice.id,
                "lines": [
                    {"type": "invoice_line_item", "invoice_line_item": line.id, "amount": 501}
                ],
            }
        )

    assert note.amount == 2_000
    assert note.lines.data[0].invoice_line_item == line.id
    assert (err.value.code, err.value.param) == ("amount_too_large", "lines[0][amount]")


def test_credit_notes_list_by_invoice_and_void_restores_the_balance(
    stripe_client, make_stripe_invoice
):
    invoice, other = make_stripe_invoice((10_000,)), make_stripe_invoice((5_000,))
    note = stripe_client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 1_000})
    stripe_client.v1.credit_notes.create(params={"invoice": other.id, "amount": 1_000})

    listed = stripe_client.v1.credit_notes.list(params={"invoice": invoice.id})
    voided = stripe_client.v1.credit_notes.void_credit_note(note.id)

    assert [n.id for n in listed.data] == [note.id]
    assert voided.status == "void"
    assert stripe_client.v1.invoices.retrieve(invoice.id).amount_remaining == 10_000


def test_draft_invoices_cannot_be_credited(stripe_client, make_stripe_invoice):
    draft = make_stripe_invoice(finalize=False)

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.credit_notes.create(params={"invoice": draft.id, "amount": 100})

    assert err.value.code == "invoice_not_editable"
