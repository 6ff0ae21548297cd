"""Tax: rates by jurisdiction and date; per-line rounding or sum-then-round (section 1.3)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from billing.error_codes import BillingError
from billing.models import Invoice, InvoiceLine, LegalEntity, TaxRate, VatCategory
from core.errors import DomainValidationError
from core.money import round_money, split
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


def tax_rounding_mode() -> str:
    mode = getattr(settings, "LEDGERLINE_TAX_ROUNDING", "line")
    if mode not in {"line", "total"}:
        raise ValueError("LEDGERLINE_TAX_ROUNDING must be 'line' or 'total'")
    return mode


def line_taxes(
    amounts: list[Decimal], percents: list[Decimal], currency: str, mode: str
) -> list[Decimal]:
    """Tax of each line. 'line': round each line's tax. 'total': per rate, round the tax
    of the summed lines once, then split it over the lines so they still add up."""
    if mode == "line":
        return [round_money(a * p / 100, currency) for a, p in zip(amounts, percents, strict=True)]
    taxes = [Decimal(0)] * len(amounts)
    by_rate: dict[Decimal, list[int]] = defaultdict(list)
    for index, percent in enumerate(percents):
        by_rate[percent].append(index)
    for percent, indexes in by_rate.items():
        base = sum((amounts[i] for i in indexes), Decimal(0))
        rate_tax = round_money(base * percent / 100, currency)
        weights = [abs(amounts[i]) for i in indexes]
        parts = split(rate_tax, weights, currency) if sum(weights) else [Decimal(0)] * len(indexes)
        for i, part in zip(indexes, parts, strict=True):
            taxes[i] = part
    return taxes
