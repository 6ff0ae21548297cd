"""Going through a console confirmation page as the browser does: read the page, post back
its hidden fields (the input and the signed token of the effect shown)."""

import re

from django.urls import reverse


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([\w-]+)" value="([^"]*)"', html))


def confirmed_invoice_action(client, invoice, action: str, data: dict):
    """GET the credit/void confirmation with `data`, then POST its confirm form."""
    page = client.get(reverse("billing:invoice_action_confirm", args=[invoice.pk, action]), data)
    assert page.status_code == 200, page.status_code
    fields = hidden_fields(page.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return client.post(reverse("billing:invoice_action", args=[invoice.pk, action]), fields)


def confirmed_refund_fields(client, confirm_url: str, data: dict) -> dict[str, str]:
    """The fields the refund confirmation (POST to `confirm_url`) posts back, token included."""
    page = client.post(confirm_url, data)
    assert page.status_code == 200, page.status_code
    fields = hidden_fields(page.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return fields
