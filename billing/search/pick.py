"""Customers for a form's type-ahead (the record-payment form's customer box).

Reuses the global search's customer match (prefix on processor/CRM id and PO number,
substring on the name, all indexed; see `selectors.py`), so a form never lists every
account: at most `limit` rows are read, unsorted, and then put in name order.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.search.selectors import MIN_QUERY_LENGTH, customers_matching, search_terms

PICK_LIMIT = 20


@dataclass(frozen=True)
class CustomerChoice:
    id: int
    label: str
    detail: str


def pick_customers(query: str, *, limit: int = PICK_LIMIT) -> tuple[list[CustomerChoice], bool]:
    """Up to `limit` matching customers by name, and whether there were more."""
    terms = search_terms(query)
    if len(terms.text) < MIN_QUERY_LENGTH:
        return [], False
    rows = list(
        customers_matching(terms).only("pk", "legal_name", "stripe_customer_id", "billing_country")[
            : limit + 1
        ]
    )
    choices = [
        CustomerChoice(
            id=row.pk,
            label=row.legal_name,
            detail=" · ".join(x for x in (row.stripe_customer_id, row.billing_country) if x),
        )
        for row in sorted(rows[:limit], key=lambda r: (r.legal_name, r.pk))
    ]
    return choices, len(rows) > limit
