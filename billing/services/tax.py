"""Tax: rates by jurisdiction and date; per-line rounding or sum-then-round per rate
(section 1.3), whichever the seller follows (`LegalEntity.tax_rounding`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Q

from billing.error_codes import BillingError
from billing.models import Invoice, InvoiceLine, LegalEntity, TaxRate, TaxRounding, VatCategory
from core.errors import DomainValidationError
from core.money import quantum, round_money
from core.party import EU_COUNTRIES
from ordermgmt.models import Account

REVERSE_CHARGE_NOTE = "Reverse charge: VAT to be accounted for by the recipient"
EXEMPT_NOTE = "Exempt from VAT"
OUTSIDE_SCOPE_NOTE = "Not subject to VAT"
# VATEX codes (CEF VAT exemption reason code list) for the notes we write ourselves.
DEFAULT_REASONS = {
    VatCategory.REVERSE_CHARGE: (REVERSE_CHARGE_NOTE, "VATEX-EU-AE"),
    VatCategory.EXEMPT: (EXEMPT_NOTE, ""),
    VatCategory.OUTSIDE_SCOPE: (OUTSIDE_SCOPE_NOTE, "VATEX-EU-O"),
    VatCategory.INTRA_COMMUNITY: ("Intra-community supply", "VATEX-EU-IC"),
    VatCategory.EXPORT: ("Export outside the EU", "VATEX-EU-G"),
}


@dataclass(frozen=True)
class VatTreatment:
    """How VAT applies to a line (EN 16931 BT-151/152, BT-120/121)."""

    category: str
    percent: Decimal
    reason: str = ""
    reason_code: str = ""


def _with_default_reason(category: str, percent: Decimal, reason: str, code: str) -> VatTreatment:
    default_reason, default_code = DEFAULT_REASONS.get(category, ("", ""))
    if category in (VatCategory.STANDARD, VatCategory.ZERO):
        return VatTreatment(category, percent, reason if category == "Z" else "", "")
    return VatTreatment(category, Decimal(0), reason or default_reason, code or default_code)


def vat_treatment(
    *, seller: LegalEntity, account: Account, tax_rate: TaxRate | None
) -> VatTreatment:
    """The buyer's treatment: exempt accounts (E); a business buyer with a VAT number in
    another EU country than an EU seller (AE, reverse charge, 0 %); else the rate's own
    category (S at its percent; Z, E, O at 0 %). No rate at all: outside scope (O)."""
    if account.tax_exempt:
        return _with_default_reason(
            VatCategory.EXEMPT, Decimal(0), account.tax_exemption_reason, ""
        )
    buyer_country = account.billing_country
    if (
        seller.country in EU_COUNTRIES
        and buyer_country in EU_COUNTRIES
        and buyer_country != seller.country
        and account.vat_id
    ):
        return _with_default_reason(VatCategory.REVERSE_CHARGE, Decimal(0), "", "")
    if tax_rate is None:
        return _with_default_reason(VatCategory.OUTSIDE_SCOPE, Decimal(0), "", "")
    category = tax_rate.category
    if category == VatCategory.STANDARD and tax_rate.percent == 0:
        category = VatCategory.ZERO
    return _with_default_reason(
        category, tax_rate.percent, tax_rate.exemption_reason, tax_rate.exemption_reason_code
    )


def line_vat_treatment(line: InvoiceLine, invoice: Invoice) -> VatTreatment:
    """A line's stored category, or for lines made without one (before categories
    existed, or by code that does not set them) the one its rate and invoice imply."""
    if line.vat_category:
        return VatTreatment(
            line.vat_category,
            line.tax_percent,
            line.vat_exemption_reason,
            line.vat_exemption_reason_code,
        )
    if invoice.tax_exempt:
        return _with_default_reason(VatCategory.EXEMPT, Decimal(0), "", "")
    rate = line.tax_rate
    if rate is not None:
        category = rate.category
        if category == VatCategory.STANDARD and line.tax_percent == 0:
            category = VatCategory.ZERO
        treatment = _with_default_reason(
            category, line.tax_percent, rate.exemption_reason, rate.exemption_reason_code
        )
        return VatTreatment(
            treatment.category, line.tax_percent, treatment.reason, treatment.reason_code
        )
    if line.tax_percent > 0:
        return VatTreatment(VatCategory.STANDARD, line.tax_percent)
    return _with_default_reason(VatCategory.OUTSIDE_SCOPE, Decimal(0), "", "")


def check_vat_categories(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    """Refuses what no e-invoice could carry: an unknown category, a rate that does not
    fit it (S needs a positive rate, the others 0 %), a missing buyer country."""
    if not invoice.account.billing_country:
        raise DomainValidationError(
            field="billing_country",
            code=BillingError.REQUIRED,
            message=f"The buyer's country is missing on account {invoice.account}: "
            "enter it (ISO 3166 code) before issuing.",
        )
    known = set(VatCategory.values)
    for line in lines:
        treatment = line_vat_treatment(line, invoice)
        where = f"line {line.position} ({line.description[:40]})"
        if treatment.category not in known:
            raise DomainValidationError(
                field="vat_category",
                code=BillingError.UNKNOWN_VAT_CATEGORY,
                message=f"The VAT category {treatment.category!r} of {where} is unknown; "
                f"use one of {', '.join(sorted(known))}.",
            )
        standard = treatment.category == VatCategory.STANDARD
        if standard != (line.tax_percent > 0):
            raise DomainValidationError(
                field="vat_category",
                code=BillingError.VAT_RATE_MISMATCH,
                message=f"The VAT category {treatment.category} of {where} does not fit its "
                f"tax rate {line.tax_percent.normalize()} %: only standard rate (S) lines "
                "carry tax.",
            )


def tax_rate_for(account: Account, on: date, cache: dict | None = None) -> TaxRate | None:
    """The buyer's rate on a date: a regional rate wins over the country's."""
    key = (account.billing_country, account.billing_region, on)
    if cache is not None and key in cache:
        return cache[key]
    rates = TaxRate.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on),
        country=account.billing_country,
        effective_from__lte=on,
    ).filter(Q(region="") | Q(region=account.billing_region))
    rate = sorted(rates, key=lambda r: (r.region == "", -r.effective_from.toordinal()))
    result = rate[0] if rate else None
    if cache is not None:
        cache[key] = result
    return result


def seller_tax_rounding(seller: LegalEntity) -> str:
    """The seller's rounding rule ('line' or 'total', i.e. per rate), checked: the one rule
    its invoices, their credit notes and their tax-inclusive splits all follow."""
    return check_tax_rounding(seller.tax_rounding)


def default_seller_tax_rounding() -> str:
    """The default seller's rule (what the billing run drafts with), for estimates made
    before an invoice exists, such as usage revenue net of included tax."""
    seller = LegalEntity.objects.filter(is_default=True).first()
    return TaxRounding.PER_RATE if seller is None else seller_tax_rounding(seller)


def line_taxes(
    amounts: list[Decimal], percents: list[Decimal], currency: str, mode: str
) -> list[Decimal]:
    """Tax of each line. 'line': round each line's tax. 'total' (per rate): the tax of the
    summed lines of a rate is rounded once, so each rate's tax is its base x rate rounded
    once as EN 16931 (BR-CO-17) checks it, then shared over the lines by largest remainder
    (as the tax-inclusive per-rate rule shares it): every line's tax is within a minor
    unit of its exact tax and has its sign, credit lines included."""
    check_tax_rounding(mode)
    if mode == "line":
        return [round_money(a * p / 100, currency) for a, p in zip(amounts, percents, strict=True)]
    taxes = [Decimal(0)] * len(amounts)
    for percent, indexes in _by_rate(percents).items():
        base = sum((amounts[i] for i in indexes), Decimal(0))
        rate_tax = round_money(base * percent / 100, currency)
        exact = {i: amounts[i] * percent / 100 for i in indexes}
        _share_by_largest_remainder(rate_tax, exact, taxes, currency)
    return taxes


def _by_rate(percents: list[Decimal]) -> dict[Decimal, list[int]]:
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for index, percent in enumerate(percents):
        by_rate[percent].append(index)
    return by_rate


def _share_by_largest_remainder(
    rate_tax: Decimal, exact: dict[int, Decimal], taxes: list[Decimal], currency: str
) -> None:
    """Sets taxes[i] for the lines of one rate so they add up to `rate_tax`: whole minor
    units of each line's exact tax first (floored), the units left over to the largest
    fractions, ties to the earlier line."""
    unit = quantum(currency)
    floors = {i: (e / unit).to_integral_value(ROUND_FLOOR) * unit for i, e in exact.items()}
    left = int((rate_tax - sum(floors.values(), Decimal(0))) / unit)
    # 0 <= left <= len(exact): rate_tax is within half a unit of the exact sum.
    by_fraction = sorted(exact, key=lambda i: (-(exact[i] - floors[i]), i))
    for rank, i in enumerate(by_fraction):
        taxes[i] = floors[i] + (unit if rank < left else 0)


# --- Tax-inclusive prices ----------------------------------------------------------------
# The contract's prices are gross. Net and tax are split from each line's gross so that
# net + tax = gross on every line: the invoice totals exactly the gross prices agreed. The
# split follows the seller's rule (LegalEntity.tax_rounding), as tax-exclusive prices do.
INCLUSIVE_RULES = {
    TaxRounding.LINE: "per line: net = round(gross ÷ (1 + rate)), tax = gross − net",
    TaxRounding.PER_RATE: "per rate: tax = Σ gross − round(Σ gross ÷ (1 + rate)), "
    "shared over the lines by largest remainder",
}


def check_tax_rounding(rule: str, *, field: str = "tax_rounding") -> str:
    """`rule` if it is one of the seller rules ('line', 'total' = per rate), else refused
    with `unknown_tax_rounding` naming `field`."""
    if rule not in TaxRounding.values:
        raise DomainValidationError(
            field=field,
            code=BillingError.UNKNOWN_TAX_ROUNDING,
            message=f"{rule!r} is not a tax rounding rule; use one of "
            f"{', '.join(f'{v!r} ({label})' for v, label in TaxRounding.choices)}.",
        )
    return rule


def included_taxes(
    grosses: list[Decimal], percents: list[Decimal], currency: str, rule: str
) -> list[Decimal]:
    """Tax included in each gross. 'line': each line's net is rounded, its tax is the rest
    (research 1.3, Zuora's default). 'total': per rate, the tax of the summed gross is
    rounded once, then shared by largest remainder of each line's exact tax: whole minor
    units first (floored), the units left over to the largest fractions, ties to the
    earlier line. Either way net + tax = gross on every line."""
    check_tax_rounding(rule)
    if rule == "line":
        return [
            g - round_money(g * 100 / (100 + p), currency)
            for g, p in zip(grosses, percents, strict=True)
        ]
    taxes = [Decimal(0)] * len(grosses)
    for percent, indexes in _by_rate(percents).items():
        total = sum((grosses[i] for i in indexes), Decimal(0))
        rate_tax = total - round_money(total * 100 / (100 + percent), currency)
        exact = {i: grosses[i] * percent / (100 + percent) for i in indexes}
        _share_by_largest_remainder(rate_tax, exact, taxes, currency)
    return taxes


def apply_line_taxes(
    *,
    lines: list[InvoiceLine],
    percent: Decimal,
    currency: str,
    mode: str,
    prices_include_tax: bool,
) -> None:
    """Sets each line's amount (net) and tax_amount. Tax-exclusive: the amount is the net
    and tax is added by the invoice's rounding (section 1.3, unchanged). Tax-inclusive: the
    line's gross is amount + tax_amount (a new line's tax is 0), so running this again
    over lines already split gives the same split; `mode` is the seller's rule, and
    each line's explanation records gross, rate, rule, net and tax."""
    if not prices_include_tax:
        taxes = line_taxes([line.amount for line in lines], [percent] * len(lines), currency, mode)
        for line, tax in zip(lines, taxes, strict=True):
            line.tax_amount = tax
        return
    grosses = [line.amount + (line.tax_amount or 0) for line in lines]
    taxes = included_taxes(grosses, [percent] * len(lines), currency, mode)
    for line, gross, tax in zip(lines, grosses, taxes, strict=True):
        line.amount = gross - tax
        line.tax_amount = tax
        line.explanation = {
            **(line.explanation or {}),
            "tax_inclusive": {
                "gross": f"{gross:f}",
                "tax_percent": f"{percent.normalize():f}",
                "rule": mode,
                "rule_text": INCLUSIVE_RULES[mode],
                "net": f"{line.amount:f}",
                "tax": f"{tax:f}",
            },
        }


def included_tax_percent(account: Account, on: date) -> Decimal:
    """The rate a tax-inclusive price of this buyer includes on a date, as its invoices
    would apply it (the default seller's view: reverse charge and exemptions are 0 %)."""
    seller = LegalEntity.objects.filter(is_default=True).first()
    rate = tax_rate_for(account, on)
    if seller is None:
        return Decimal(0) if account.tax_exempt or rate is None else rate.percent
    return vat_treatment(seller=seller, account=account, tax_rate=rate).percent


def net_of_included_tax(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """The net in a gross amount: round(gross ÷ (1 + rate)), as the per-line rule splits it."""
    return amount - included_taxes([amount], [percent], currency, "line")[0]
