"""Reminder wording: the step's subject and body are Django templates, edited in the admin.

They render in a sandboxed engine: no `{% load %}` libraries, no template loaders (so no
`{% include %}` or `{% extends %}`), no autoescaping (the e-mail is plain text), and a
context of plain strings and numbers only, so that a template cannot reach a model's
attributes (`{{ invoice.account.owner.email }}`). Unknown placeholders are refused when
the step is saved instead of rendering as blanks in front of a customer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import VariableNode
from django.template.loader import render_to_string

from collections_app.error_codes import CollectionsError
from core.errors import DomainValidationError

PLACEHOLDERS: dict[str, str] = {
    "customer": "the customer's legal name, as on the invoice",
    "invoice_number": "the invoice number",
    "amount_due": "the open amount with its currency, e.g. $1,250.00",
    "total_amount": "the invoice total with its currency",
    "due_date": "the due date, e.g. 5 Mar 2026",
    "days_past_due": "days since the due date (negative before it, 0 on the day)",
    "days_until_due": "days left until the due date (0 on and after it)",
    "seller": "the name of the legal entity that issued the invoice",
}

SAMPLE_CONTEXT: dict[str, object] = {
    "customer": "Acme Nederland B.V.",
    "invoice_number": "INV-2026-000042",
    "amount_due": "$1,250.00",
    "total_amount": "$1,250.00",
    "due_date": "5 Mar 2026",
    "days_past_due": 3,
    "days_until_due": 0,
    "seller": "Ledgerline Demo GmbH",
}

FORBIDDEN_TAGS = re.compile(r"{%\s*(load|include|extends|debug|ssi)\b")

_ENGINE = Engine(
    dirs=[],
    app_dirs=False,
    loaders=[],
    libraries={},
    autoescape=False,
    string_if_invalid="",
)


def placeholder_help() -> str:
    return "Placeholders: " + ", ".join("{{ " + name + " }}" for name in PLACEHOLDERS) + "."


def check_template(source: str, *, field: str) -> None:
    """Raises DomainValidationError naming the field when the template would not render,
    or uses a placeholder that does not exist."""
    if FORBIDDEN_TAGS.search(source or ""):
        raise DomainValidationError(
            field=field,
            code=CollectionsError.FORBIDDEN_TAG,
            message="Reminder templates cannot load, include or extend other templates.",
        )
    try:
        template = _ENGINE.from_string(source or "")
    except TemplateSyntaxError as err:
        raise DomainValidationError(
            field=field, code=CollectionsError.TEMPLATE_SYNTAX, message=f"Template error: {err}"
        ) from None
    for node in template.nodelist.get_nodes_by_type(VariableNode):
        variable = node.filter_expression.var
        name = getattr(variable, "var", None)
        if not isinstance(name, str):
            continue  # a literal, e.g. {{ "x" }}
        root = name.split(".", 1)[0]
        if root not in PLACEHOLDERS:
            raise DomainValidationError(
                field=field,
                code=CollectionsError.UNKNOWN_PLACEHOLDER,
                message=f"{{{{ {root} }}}} is not a placeholder. {placeholder_help()}",
            )
    try:
        template.render(Context(SAMPLE_CONTEXT, autoescape=False))
    except Exception as err:  # a filter that fails on real values, e.g. |date on a str
        raise DomainValidationError(
            field=field, code=CollectionsError.TEMPLATE_RENDER, message=f"Template error: {err}"
        ) from None


def render_text(source: str, context: Mapping[str, object]) -> str:
    return _ENGINE.from_string(source).render(Context(dict(context), autoescape=False))


def render_subject(source: str, context: Mapping[str, object]) -> str:
    """One line: mail headers cannot carry line breaks."""
    return " ".join(render_text(source, context).split())[:200]


def render_reminder_body(body: str, context: Mapping[str, object], *, remit_to: str) -> str:
    """The step's own text inside the common layout (invoice facts, payment details)."""
    return render_to_string(
        "emails/dunning/reminder.txt",
        {**context, "body": render_text(body, context).strip(), "remit_to": remit_to},
    )
