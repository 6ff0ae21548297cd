"""The deal desk policy Ledgerline starts with; Admins change it in the console.

Seeded by migration 0005 and again after a test flush (post_migrate) when the table is
empty. Rules are never deleted in the console, only deactivated, so an empty table means
a fresh database.

    payment terms      longer than Net 45 (worst-case days to due; Net 30 EOM = 61)
    line discount      above 20% against list on any line
    total discount     above 15% against list for the whole contract
    ramp               any line with ramp steps
    billing frequency  other than annual or quarterly
    billing in arrears any
    term length        longer than 3 years
    currency           outside LEDGERLINE_STANDARD_CURRENCIES (USD, EUR, GBP, JPY)
    price floor        below the product's floor price, or no list price in the currency
    auto-renewal       any
    termination        for convenience, any
    contract value     TCV above USD 250,000 (EUR/GBP/JPY converted at the rule's
                       rates): two distinct approvers, 72-hour SLA
"""

from __future__ import annotations

from decimal import Decimal

DEFAULT_RULES: list[dict] = [
    {
        "name": "Payment terms beyond Net 45",
        "rule_type": "payment_terms",
        "threshold": Decimal("45"),
        "severity": "medium",
        "description": "Invoices are due within 45 days; longer terms raise DSO.",
    },
    {
        "name": "Line discount above 20%",
        "rule_type": "line_discount",
        "threshold": Decimal("20"),
        "severity": "high",
        "sla_hours": 24,
        "description": "No line more than 20% below list price without deal desk.",
    },
    {
        "name": "Total discount above 15%",
        "rule_type": "total_discount",
        "threshold": Decimal("15"),
        "severity": "medium",
        "description": "The contract as a whole at most 15% below its list value.",
    },
    {
        "name": "Ramp deal",
        "rule_type": "ramp",
        "severity": "medium",
        "description": "Quantities or prices that change during the term.",
    },
    {
        "name": "Billing other than annual or quarterly",
        "rule_type": "billing_frequency",
        "allowed_values": "annual,quarterly",
        "severity": "low",
        "description": "Standard billing is annual or quarterly in advance.",
    },
    {
        "name": "Billing in arrears",
        "rule_type": "billing_arrears",
        "severity": "medium",
        "description": "Standard billing is in advance.",
    },
    {
        "name": "Term longer than 3 years",
        "rule_type": "term_length",
        "threshold": Decimal("3"),
        "severity": "medium",
        "description": "Commitments of more than three years lock prices.",
    },
    {
        "name": "Non-standard currency",
        "rule_type": "currency",
        "allowed_values": "",
        "severity": "medium",
        "description": "Empty list: the standard currencies of the installation setting.",
    },
    {
        "name": "Price below floor or not in the price book",
        "rule_type": "price_floor",
        "severity": "high",
        "description": "Net prices at or above the product's floor, from the price book.",
    },
    {
        "name": "Auto-renewal clause",
        "rule_type": "auto_renewal",
        "severity": "low",
        "description": "Renewals are booked as new orders unless deal desk accepts.",
    },
    {
        "name": "Termination for convenience",
        "rule_type": "termination_for_convenience",
        "severity": "high",
        "description": "The customer may end the contract early without cause.",
    },
    {
        "name": "Contract value above USD 250,000",
        "rule_type": "contract_value",
        "threshold": Decimal("250000"),
        "threshold_currency": "USD",
        "fx_rates": {"EUR": "1.08", "GBP": "1.27", "JPY": "0.0067"},
        "required_approvals": 2,
        "sla_hours": 72,
        "severity": "high",
        "description": "Large deals need a second deal desk approver.",
    },
]


def seed_default_rules(rule_model) -> int:
    """Creates the default rules in an empty table; takes the (historical) model class."""
    if rule_model.objects.exists():
        return 0
    rule_model.objects.bulk_create([rule_model(**values) for values in DEFAULT_RULES])
    return len(DEFAULT_RULES)
