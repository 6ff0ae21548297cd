"""The one definition of a tax-inclusive contract's revenue: net of the tax it includes
(taxes collected for authorities are not revenue, ASC 606-10-32-2A), estimated until
invoiced, then the net invoiced.

- *Estimate*: a gross amount not yet on an issued invoice counts the net its invoice would
  give: the gross split at the rate the buyer's price includes on its date
  (`billing.services.tax.included_tax_percent`), by the default seller's rounding rule
  (`included_taxes`; for one amount both rules give round(gross ÷ (1 + rate))).
- *Invoiced*: once all of an amount's gross is on issued invoices (void ones too: they
  were credited, and the credit note counts on its own), its net is what those invoice
  lines say (their rate on the invoice date, their rule sharing the cents), from the
  latest of those invoices' dates. The difference to the estimate is a change in an
  estimate: caught up on that date, never restating earlier months.

Every tax-inclusive revenue figure goes through here: fixed lines (`facts._net_of_tax`,
trued up on issue by `services.tax_inclusive`), rate-card usage, and commitments and
credits (`billing.usage.revenue`). Only the place the difference lands differs: a fixed
line changes its obligation's price (re-allocated, caught up), usage and commitments add
an event on the invoice date.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.models import InvoiceStatus
from billing.services.tax import (
    default_seller_tax_rounding,
    included_tax_percent,
    included_taxes,
)

ZERO = Decimal(0)
# An invoice in one of these states has fixed the split of its lines.
INVOICED_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.VOID)


@dataclass(frozen=True)
class Invoiced:
    """Net and gross of an amount's invoice lines, and the latest of their invoice dates."""

    net: Decimal
    gross: Decimal
    invoice_date: date


class IncludedRates:
    """The estimate of a contract's nets, the rate read once per date."""

    def __init__(self, contract):
        self.contract = contract
        self.percents: dict[date, Decimal] = {}
        self.rule: str | None = None  # the default seller's rule, read when first needed

    def percent(self, on: date) -> Decimal:
        if on not in self.percents:
            self.percents[on] = included_tax_percent(self.contract.account, on)
        return self.percents[on]

    def nets(self, grosses: list[Decimal], on: date) -> list[Decimal]:
        """The nets of amounts that one invoice dated `on` would carry as its lines."""
        if self.rule is None:
            self.rule = default_seller_tax_rounding()
        taxes = included_taxes(
            grosses, [self.percent(on)] * len(grosses), self.contract.currency, self.rule
        )
        return [gross - tax for gross, tax in zip(grosses, taxes, strict=True)]

    def net(self, gross: Decimal, on: date) -> Decimal:
        return self.nets([gross], on)[0]


def invoiced_by_key(
    rows: Iterable[tuple[Hashable, Decimal, Decimal | None, date]],
) -> dict[Hashable, Invoiced]:
    """Sums invoice lines given as `(key, net, tax, invoice date)` per key."""
    totals: dict[Hashable, Invoiced] = {}
    for key, net, tax, invoice_date in rows:
        before = totals.get(key)
        totals[key] = Invoiced(
            net=(before.net if before else ZERO) + net,
            gross=(before.gross if before else ZERO) + net + (tax or ZERO),
            invoice_date=max(before.invoice_date, invoice_date) if before else invoice_date,
        )
    return totals


def settled(gross: Decimal, invoiced: Invoiced | None) -> Invoiced | None:
    """The invoiced figures that replace the estimate of an amount of `gross`, once all of
    it is invoiced; None while some of it (late usage, a later drawdown) is not."""
    if invoiced is not None and invoiced.gross == gross:
        return invoiced
    return None


def net_of(gross: Decimal, on: date, rates: IncludedRates, invoiced: Invoiced | None) -> Decimal:
    """The net of an amount: as invoiced once all of it is, else the estimate."""
    done = settled(gross, invoiced)
    return done.net if done is not None else rates.net(gross, on)
