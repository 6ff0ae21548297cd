"""Writes of reference data (products and their prices per currency), as the admin makes
them: the model's own validation (field validators and constraints) runs before the save,
and a refusal names the field as a DomainValidationError. `save_validated` is shared with
the billing and revenue reference-data services."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction

from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import Product, ProductPrice


def refuse_negative(changes: dict, *names: str) -> None:
    for name in names:
        value = changes.get(name)
        if value is not None and Decimal(value) < 0:
            raise DomainValidationError(
                field=name,
                code=OrderError.NEGATIVE,
                message=f"{name.replace('_', ' ')} can't be negative.",
            )


def apply_changes(instance: models.Model, changes: dict, allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise DomainValidationError(
            field=name, code=OrderError.NOT_EDITABLE, message=f"{name} can't be changed here."
        )
    for name, value in changes.items():
        setattr(instance, name, value)


def save_validated(instance: models.Model, *, actor, reason: str) -> models.Model:
    """full_clean (what the admin's form runs), then save with the actor and reason audited."""
    try:
        instance.full_clean()
    except ValidationError as err:
        raise as_domain_error(err) from err
    audit_next_save(instance, actor=actor, reason=reason)
    instance.save()
    return instance


def as_domain_error(err: ValidationError) -> DomainValidationError:
    field, errors = next(iter(err.error_dict.items()))
    first = errors[0]
    message = " ".join(first.messages)
    code = first.code or "invalid"
    if code == "unique_together":
        code = "duplicate"
    return DomainValidationError(
        field="__all__" if field == NON_FIELD_ERRORS else field, code=code, message=message
    )


PRODUCT_FIELDS = {"sku", "name", "revenue_type", "active", "distinct"}
PRICE_FIELDS = {"standalone_selling_price", "list_price", "floor_price"}


@transaction.atomic(durable=True)
def create_product(*, actor, **fields) -> Product:
    product = Product()
    apply_changes(product, fields, PRODUCT_FIELDS)
    return save_validated(product, actor=actor, reason="product.created")


@transaction.atomic(durable=True)
def change_product(*, product: Product, actor, **changes) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    apply_changes(product, changes, PRODUCT_FIELDS)
    return save_validated(product, actor=actor, reason="product.changed")


def _check_price(price: ProductPrice) -> None:
    refuse_negative({n: getattr(price, n) for n in PRICE_FIELDS}, *sorted(PRICE_FIELDS))
    if (
        price.floor_price is not None
        and price.list_price is not None
        and price.floor_price > price.list_price
    ):
        raise DomainValidationError(
            field="floor_price",
            code=OrderError.ABOVE_LIST_PRICE,
            message=f"The floor price {price.floor_price} is above the list price "
            f"{price.list_price}.",
        )


@transaction.atomic(durable=True)
def create_product_price(*, product: Product, currency: str, actor, **fields) -> ProductPrice:
    currency = (currency or "").upper()
    if ProductPrice.objects.filter(product=product, currency=currency).exists():
        raise DomainValidationError(
            field="currency",
            code=OrderError.DUPLICATE,
            message=f"{product.sku} already has a {currency} price; change that one.",
        )
    price = ProductPrice(product=product, currency=currency)
    apply_changes(price, fields, PRICE_FIELDS | {"prices_include_tax"})
    _check_price(price)
    return save_validated(price, actor=actor, reason=f"product_price.created:{currency}")


@transaction.atomic(durable=True)
def change_product_price(*, price: ProductPrice, actor, **changes) -> ProductPrice:
    price = ProductPrice.objects.select_for_update().get(pk=price.pk)
    apply_changes(price, changes, PRICE_FIELDS | {"prices_include_tax"})
    _check_price(price)
    return save_validated(price, actor=actor, reason=f"product_price.changed:{price.currency}")
