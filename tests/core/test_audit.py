"""The audit helper: who and why for the next history row."""

import pytest
from django.contrib.auth.models import AnonymousUser

from billing.models import Payment, PaymentApplication
from core.audit import ELLIPSIS, audit_next_save, history_reason, history_reason_length


def test_an_anonymous_or_missing_actor_is_recorded_as_nobody():
    for actor in (AnonymousUser(), None):
        payment = Payment()
        audit_next_save(payment, actor=actor, reason="payment.recorded")
        assert (payment._history_user, payment._change_reason) == (None, "payment.recorded")


def test_leaving_the_actor_out_lets_history_take_the_request_user():
    payment = Payment()
    audit_next_save(payment, reason="invoice.pdf_stored")
    assert not hasattr(payment, "_history_user")


def test_the_reason_is_trimmed_to_the_history_column_read_from_the_model():
    limit = Payment.history.model._meta.get_field("history_change_reason").max_length
    assert history_reason_length(Payment) == limit
    assert history_reason(Payment, "x" * limit) == "x" * limit
    trimmed = history_reason(Payment, "x" * (limit + 1))
    assert (len(trimmed), trimmed[-1]) == (limit, ELLIPSIS)


@pytest.mark.parametrize("reason", [None, "y" * 500])
def test_a_model_without_history_keeps_its_reason(reason):
    assert history_reason(PaymentApplication, reason) == reason
