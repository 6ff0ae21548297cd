"""Whether a contract's prices include tax (its invoices split net and tax from them by
the seller's rounding rule, billing.services.tax). The basis is a term of the deal: it is
set while the contract is still editable and fixed once it is active, because the billing
schedule, the revenue allocation (net of tax) and every issued invoice were made on it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import Contract, ContractLine, ProductPrice
from ordermgmt.services.common import locked_contract

PriceBases = dict[tuple[int, str], tuple[bool, str]]


def price_bases(pairs: Iterable[tuple[int, str]]) -> PriceBases:
    """{(product_id, currency): (whether its price includes tax, product SKU)} for these
    pairs, in one query: callers that check many contracts at once load them once."""
    pairs = set(pairs)
    found = ProductPrice.objects.filter(
        product_id__in={product for product, _ in pairs},
        currency__in={currency for _, currency in pairs},
    ).values_list("product_id", "currency", "prices_include_tax", "product__sku")
    return {
        (product, currency): (inclusive, sku)
        for product, currency, inclusive, sku in found
        if (product, currency) in pairs
    }


def check_price_book_basis(
    contract: Contract, lines: Iterable[ContractLine], *, bases: PriceBases | None = None
) -> None:
    """A contract prices like its price book: a product whose price in the contract's
    currency includes tax cannot sit on a tax-exclusive contract, nor the reverse, or list
    and floor price checks would compare a gross with a net."""
    lines = list(lines)
    if bases is None:
        bases = price_bases((line.product_id, contract.currency) for line in lines)
    for index, line in enumerate(lines):
        inclusive, sku = bases.get((line.product_id, contract.currency), (None, ""))
        if inclusive is not None and inclusive != contract.prices_include_tax:
            book = "include" if inclusive else "exclude"
            here = "include" if contract.prices_include_tax else "exclude"
            raise DomainValidationError(
                field="prices_include_tax",
                code=OrderError.TAX_BASIS_MISMATCH,
                message=f"{sku}'s {contract.currency} prices {book} tax but "
                f"this contract's prices {here} it (line {index + 1}): "
                "use the same basis as the price book.",
            )


@transaction.atomic(durable=True)
def set_tax_basis(*, contract: Contract, prices_include_tax: bool, actor) -> Contract:
    """Changes whether the prices include tax while the contract is editable (how net and
    tax are split is the seller's rule: billing.services.tax.seller_tax_rounding).
    Once active it is refused, naming the field and the invoices made on the old basis."""
    contract = locked_contract(contract)
    changes = {"prices_include_tax": prices_include_tax}
    changed = [name for name, value in changes.items() if getattr(contract, name) != value]
    if changed and not contract.is_editable:
        issued = contract.invoices.filter(number__isnull=False).count()
        raise DomainValidationError(
            field=changed[0],
            code=OrderError.TAX_BASIS_LOCKED,
            message=f"{contract.reference} is {contract.get_status_display().lower()} with "
            f"{issued} issued invoice(s): its schedule, revenue and invoices were made on "
            "its current tax basis, which can no longer change. Amend or renew the "
            "contract with the new basis instead.",
        )
    for name, value in changes.items():
        setattr(contract, name, value)
    check_price_book_basis(contract, contract.lines.all())
    if changed:
        audit_next_save(contract, actor=actor, reason="contract.tax_basis_changed")
        contract.save(update_fields=[*changed, "updated_at"])
    return contract
