"""The deal desk evaluators: pure functions from a rule and a contract's facts to flags.

Each rule type in `RuleType` has exactly one evaluator here; the thresholds and allowed
values come from the `DealDeskRule` row an Admin edits, so a policy change needs no
code change. Every flag says in words, with the figures, what is non-standard and,
where it matters, what it does to billing or revenue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from core.money import format_money
from core.terms import PaymentTerms
from ordermgmt.models import BillingFrequency, DealDeskRule, RuleType

from .flags import Flag, line_name, make_flag, percent, years_label
from .valuation import DealFacts

__all__ = ["EVALUATORS", "Flag", "days_to_due", "evaluate", "percent"]


@lru_cache(maxsize=128)
def days_to_due(code: str) -> int:
    """The longest wait from invoice date to due date under these terms, in days.

    Net N is N days. End-of-month terms depend on the invoice date: Net 30 EOM on an
    invoice of 1 March is due 30 April, 60 days later. We take the worst case over every
    invoice date of four years (a leap year included), which is exact, unlike a bound.
    """
    terms = PaymentTerms.parse(code)
    if not terms.end_of_month:
        return terms.net_days
    first = date(2025, 1, 1)
    return max(
        (terms.due_date(first + timedelta(days=n)) - (first + timedelta(days=n))).days
        for n in range(4 * 366)
    )


def payment_terms(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    code = facts.contract.payment_terms
    days = days_to_due(code)
    limit = int(rule.threshold)
    if days <= limit:
        return []
    terms = PaymentTerms.parse(code)
    label = terms.label
    described = label if days == terms.net_days else f"{label} (up to {days} days to due)"
    return [
        make_flag(
            rule,
            f"{described} exceeds the Net {limit} policy",
            f"{label}: DSO rises; cash arrives up to {days - limit} days later than Net {limit}",
            payment_terms=code,
            days_to_due=days,
            policy_days=limit,
        )
    ]


def line_discount(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    flags = []
    limit = Decimal(rule.threshold)
    for line in facts.lines:
        discount = line.effective_discount_percent.quantize(Decimal("0.01"))
        if discount <= limit:
            continue
        stated = line.discount_percent
        if line.list_price is not None and abs(discount - stated) >= Decimal("0.01"):
            described = (
                f"discount {percent(discount)}% off the list price "
                f"{format_money(line.list_price, facts.currency)} ({percent(stated)}% on the line)"
            )
        else:
            described = f"discount {percent(discount)}%"
        if line.committed:
            below = format_money(line.list_value - line.value, facts.currency)
            consequence = f"{below} below list over the term: lower billings and revenue"
        else:
            consequence = f"usage billed {percent(discount)}% below list on every unit"
        flags.append(
            make_flag(
                rule,
                f"{line_name(line)} {described} exceeds the {percent(limit)}% policy",
                consequence,
                line=line,
                sku=line.sku,
                discount_percent=percent(discount),
                stated_discount_percent=percent(stated),
                policy_percent=percent(limit),
                list_price=line.list_price if line.list_price is not None else "",
            )
        )
    return flags


def total_discount(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    limit = Decimal(rule.threshold)
    discount = facts.total_discount_percent.quantize(Decimal("0.01"))
    if discount <= limit:
        return []
    below = facts.list_tcv - facts.tcv
    return [
        make_flag(
            rule,
            f"Total discount {percent(discount)}% "
            f"({format_money(below, facts.currency)} below the list value "
            f"{format_money(facts.list_tcv, facts.currency)}) exceeds the {percent(limit)}% policy",
            f"billings and revenue {format_money(below, facts.currency)} below list over the term",
            discount_percent=percent(discount),
            policy_percent=percent(limit),
            list_value=facts.list_tcv,
            tcv=facts.tcv,
        )
    ]


def ramp(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    flags = []
    for line in facts.ramp_lines:
        first, last = line.segments[0], line.segments[-1]
        first_year = format_money(first.quantity * first.net_unit_price, facts.currency)
        last_year = format_money(last.quantity * last.net_unit_price, facts.currency)
        flags.append(
            make_flag(
                rule,
                f"{line_name(line)} ramps over {len(line.segments)} steps: "
                f"{percent(first.quantity)} → {percent(last.quantity)} units, "
                f"{first_year} → {last_year} a year",
                "ramp: revenue straight-line while billing steps up, "
                "so an unbilled asset builds up in the early steps",
                line=line,
                sku=line.sku,
                steps=len(line.segments),
                first_quantity=first.quantity,
                last_quantity=last.quantity,
            )
        )
    return flags


FREQUENCY_CONSEQUENCES = {
    BillingFrequency.MONTHLY: "monthly: 12 invoices a year, more collection work and less "
    "cash up front",
    BillingFrequency.QUARTERLY: "quarterly: 4 invoices a year, less cash up front than annual",
    BillingFrequency.ANNUAL: "annual: one invoice a year",
    BillingFrequency.UPFRONT: "whole term billed at the start: deferred revenue for the full term",
    BillingFrequency.CUSTOM: "custom installments: billing does not follow revenue, so "
    "unbilled or deferred balances build up between installments",
}


def billing_frequency(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    frequency = facts.contract.billing_frequency
    allowed = rule.allowed_list
    if frequency in allowed:
        return []
    labels = ", ".join(BillingFrequency(v).label for v in allowed if v in BillingFrequency.values)
    return [
        make_flag(
            rule,
            f"Billing frequency {BillingFrequency(frequency).label} is outside the "
            f"standard ({labels})",
            FREQUENCY_CONSEQUENCES.get(frequency, ""),
            billing_frequency=frequency,
            allowed=",".join(allowed),
        )
    ]


def billing_arrears(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    if facts.contract.billing_timing != "arrears":
        return []
    return [
        make_flag(
            rule,
            "Billed in arrears: each period is invoiced after it ends",
            "billing in arrears: unbilled receivable until period end",
            billing_timing="arrears",
        )
    ]


def term_length(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    limit = Decimal(rule.threshold)
    years = facts.term_years.quantize(Decimal("0.01"))
    if years <= limit:
        return []
    contract = facts.contract
    return [
        make_flag(
            rule,
            f"Term of {years_label(years)} ({contract.start_date} – {contract.end_date}) "
            f"exceeds the {percent(limit)}-year policy",
            f"prices locked for {years_label(years)}; a large remaining performance obligation",
            term_years=percent(years),
            policy_years=percent(limit),
        )
    ]


def currency(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    allowed = rule.allowed_list
    if facts.currency in allowed:
        return []
    return [
        make_flag(
            rule,
            f"Currency {facts.currency} is outside the standard list ({', '.join(allowed)})",
            f"{facts.currency}: FX exposure on cash and reporting",
            currency=facts.currency,
            allowed=",".join(allowed),
        )
    ]


def price_floor(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    flags = []
    places = Decimal("0.000001")
    for line in facts.lines:
        if line.list_price is None:
            flags.append(
                make_flag(
                    rule,
                    f"{line_name(line)} has no list price in {facts.currency}",
                    "no list price: the discount and the standalone selling price for "
                    "revenue allocation cannot be checked against the price book",
                    line=line,
                    sku=line.sku,
                    currency=facts.currency,
                )
            )
            continue
        if line.floor_price is None:
            continue
        below = [s for s in line.segments if s.net_unit_price.quantize(places) < line.floor_price]
        if not below:
            continue
        lowest = min(below, key=lambda s: s.net_unit_price)
        where = f" in the step {lowest.start} – {lowest.end}" if line.is_ramp else ""
        shortfall = sum(
            (s.quantity * (line.floor_price - s.net_unit_price) * s.years for s in below),
            Decimal(0),
        )
        flags.append(
            make_flag(
                rule,
                f"{line_name(line)} net price "
                f"{format_money(lowest.net_unit_price, facts.currency)}{where} is below the "
                f"{format_money(line.floor_price, facts.currency)} floor",
                f"below floor: {format_money(shortfall, facts.currency)} under the floor "
                "price over the term",
                line=line,
                sku=line.sku,
                net_unit_price=lowest.net_unit_price.quantize(places),
                floor_price=line.floor_price,
            )
        )
    return flags


def auto_renewal(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    if not facts.contract.auto_renew:
        return []
    return [
        make_flag(
            rule,
            f"Auto-renews at the end of the term ({facts.contract.end_date})",
            "auto-renewal: renews without a new order; the notice date must be tracked",
            auto_renew=True,
        )
    ]


def termination_for_convenience(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    if not facts.contract.termination_for_convenience:
        return []
    return [
        make_flag(
            rule,
            "The customer may terminate for convenience",
            "termination for convenience: the committed term may be shorter, so revenue "
            "and unbilled amounts beyond the notice period are at risk",
            termination_for_convenience=True,
        )
    ]


def contract_value(rule: DealDeskRule, facts: DealFacts) -> list[Flag]:
    limit = Decimal(rule.threshold)
    target = rule.threshold_currency
    limit_text = format_money(limit, target)
    approvers = f"{rule.required_approvals} distinct approvers needed"
    tcv_text = format_money(facts.tcv, facts.currency)
    if facts.currency == target:
        converted = facts.tcv
    else:
        rate = (rule.fx_rates or {}).get(facts.currency)
        if rate is None:
            # No rate: the size is unknown, so the deal gets the stricter review.
            return [
                make_flag(
                    rule,
                    f"TCV {tcv_text} cannot be compared with the {limit_text} threshold "
                    f"(no {facts.currency} rate on the rule): {approvers}",
                    f"large-deal review: {approvers}",
                    tcv=facts.tcv,
                    currency=facts.currency,
                )
            ]
        converted = facts.tcv * Decimal(str(rate))
    if converted <= limit:
        return []
    approx = "" if facts.currency == target else f" (≈ {format_money(converted, target)})"
    return [
        make_flag(
            rule,
            f"TCV {tcv_text}{approx} exceeds the {limit_text} threshold: {approvers}",
            f"large deal: {approvers}",
            tcv=facts.tcv,
            currency=facts.currency,
            converted=converted.quantize(Decimal("0.01")),
            threshold=limit,
            threshold_currency=target,
        )
    ]


EVALUATORS: dict[str, Callable[[DealDeskRule, DealFacts], list[Flag]]] = {
    RuleType.PAYMENT_TERMS: payment_terms,
    RuleType.LINE_DISCOUNT: line_discount,
    RuleType.TOTAL_DISCOUNT: total_discount,
    RuleType.RAMP: ramp,
    RuleType.BILLING_FREQUENCY: billing_frequency,
    RuleType.BILLING_ARREARS: billing_arrears,
    RuleType.TERM_LENGTH: term_length,
    RuleType.CURRENCY: currency,
    RuleType.PRICE_FLOOR: price_floor,
    RuleType.AUTO_RENEWAL: auto_renewal,
    RuleType.TERMINATION_FOR_CONVENIENCE: termination_for_convenience,
    RuleType.CONTRACT_VALUE: contract_value,
}


def evaluate(facts: DealFacts, rules: Iterable[DealDeskRule]) -> list[Flag]:
    """Every flag the active rules raise on this contract, in rule order."""
    flags: list[Flag] = []
    for rule in rules:
        if rule.active:
            flags.extend(EVALUATORS[rule.rule_type](rule, facts))
    return flags
