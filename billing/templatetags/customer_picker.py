"""The customer type-ahead (billing.forms_cash.CustomerPickerInput) on pages whose forms
are written in the template (the bank matching queue and split page), so none of them
lists every account in a <select>."""

from __future__ import annotations

from django import template

from billing.forms_cash import CustomerPickerInput

register = template.Library()


@register.simple_tag
def customer_picker(name: str, box_id: str, account=None, row=""):
    """`account` is the customer already chosen (or None); its name is shown, not read.
    `row` tells apart the boxes of a page with one picker a row."""
    widget = CustomerPickerInput("billing:payment_customer_lookup")
    value = account.pk if account is not None else ""
    label = account.legal_name if account is not None else ""
    return widget.render_with_label(name, value, label, attrs={"id": f"{box_id}{row}"})
