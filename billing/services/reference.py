"""Writes of billing reference data: tax rates, legal entities (sellers, with the prefixes
their number series start from) and FX rates. Each is one durable transaction that runs
the model's validation as the admin does and refuses with a DomainValidationError.
A seller's tax rounding rule applies to invoices drafted after the change.

Number series themselves move only by issuing (next_document_number); they are read-only
here as in the admin. A changed prefix applies to the series of the next year it opens."""

from __future__ import annotations

from django.db import transaction

from billing.error_codes import BillingError
from billing.models import FxRate, LegalEntity, TaxRate
from billing.services.tax import check_tax_rounding
from core.errors import DomainValidationError
from ordermgmt.services.reference import apply_changes, save_validated

TAX_RATE_FIELDS = {"country", "region", "name", "percent", "effective_from", "effective_to"}
LEGAL_ENTITY_FIELDS = {
    "name",
    "address",
    "tax_id",
    "remit_to",
    "invoice_prefix",
    "credit_note_prefix",
    "email",
    "is_default",
    "tax_rounding",
}
FX_RATE_FIELDS = {"currency", "reporting_currency", "rate_date", "rate"}


def _check_tax_rate(rate: TaxRate) -> None:
    rate.country = (rate.country or "").upper()
    if len(rate.country) != 2 or not rate.country.isalpha():
        raise DomainValidationError(
            field="country",
            code=BillingError.INVALID,
            message="Country is an ISO 3166 two-letter code.",
        )
    if rate.percent is not None and not 0 <= rate.percent <= 100:
        raise DomainValidationError(
            field="percent",
            code=BillingError.OUT_OF_RANGE,
            message="A tax rate is between 0 and 100%.",
        )
    if (
        rate.effective_to is not None
        and rate.effective_from
        and (rate.effective_to < rate.effective_from)
    ):
        raise DomainValidationError(
            field="effective_to",
            code=BillingError.BEFORE_EFFECTIVE_FROM,
            message="The rate can't end before it starts.",
        )


@transaction.atomic(durable=True)
def create_tax_rate(*, actor, **fields) -> TaxRate:
    rate = TaxRate()
    apply_changes(rate, fields, TAX_RATE_FIELDS)
    _check_tax_rate(rate)
    return save_validated(rate, actor=actor, reason="tax_rate.created")


@transaction.atomic(durable=True)
def change_tax_rate(*, tax_rate: TaxRate, actor, **changes) -> TaxRate:
    rate = TaxRate.objects.select_for_update().get(pk=tax_rate.pk)
    apply_changes(rate, changes, TAX_RATE_FIELDS)
    _check_tax_rate(rate)
    return save_validated(rate, actor=actor, reason="tax_rate.changed")


def _check_legal_entity(entity: LegalEntity) -> None:
    for name in ("invoice_prefix", "credit_note_prefix"):
        if not (getattr(entity, name) or "").strip():
            raise DomainValidationError(
                field=name, code=BillingError.REQUIRED, message="A number series needs a prefix."
            )
    check_tax_rounding(entity.tax_rounding)
    if entity.invoice_prefix == entity.credit_note_prefix:
        raise DomainValidationError(
            field="credit_note_prefix",
            code=BillingError.SAME_AS_INVOICE_PREFIX,
            message="Credit notes need a prefix of their own, or numbers would collide.",
        )
    if entity.is_default:
        other = LegalEntity.objects.filter(is_default=True).exclude(pk=entity.pk).first()
        if other is not None:
            raise DomainValidationError(
                field="is_default",
                code=BillingError.DUPLICATE_DEFAULT,
                message=f"{other.name} is the default seller; unset it there first.",
            )


@transaction.atomic(durable=True)
def create_legal_entity(*, actor, **fields) -> LegalEntity:
    entity = LegalEntity()
    apply_changes(entity, fields, LEGAL_ENTITY_FIELDS)
    _check_legal_entity(entity)
    return save_validated(entity, actor=actor, reason="legal_entity.created")


@transaction.atomic(durable=True)
def change_legal_entity(*, legal_entity: LegalEntity, actor, **changes) -> LegalEntity:
    entity = LegalEntity.objects.select_for_update().get(pk=legal_entity.pk)
    apply_changes(entity, changes, LEGAL_ENTITY_FIELDS)
    _check_legal_entity(entity)
    return save_validated(entity, actor=actor, reason="legal_entity.changed")


def _check_fx_rate(rate: FxRate) -> None:
    rate.currency = (rate.currency or "").upper()
    rate.reporting_currency = (rate.reporting_currency or "").upper()
    if rate.rate is not None and rate.rate <= 0:
        raise DomainValidationError(
            field="rate", code=BillingError.NOT_POSITIVE, message="An exchange rate is above zero."
        )
    if rate.currency == rate.reporting_currency:
        raise DomainValidationError(
            field="reporting_currency",
            code=BillingError.SAME_CURRENCY,
            message="A rate converts between two different currencies.",
        )
    clash = FxRate.objects.filter(
        currency=rate.currency, reporting_currency=rate.reporting_currency, rate_date=rate.rate_date
    ).exclude(pk=rate.pk)
    if clash.exists():
        raise DomainValidationError(
            field="rate_date",
            code=BillingError.DUPLICATE,
            message=f"There is already a {rate.currency}/{rate.reporting_currency} rate "
            f"on {rate.rate_date}; change that one.",
        )


@transaction.atomic(durable=True)
def create_fx_rate(*, actor, **fields) -> FxRate:
    rate = FxRate()
    apply_changes(rate, fields, FX_RATE_FIELDS)
    _check_fx_rate(rate)
    return save_validated(rate, actor=actor, reason="fx_rate.created")


@transaction.atomic(durable=True)
def change_fx_rate(*, fx_rate: FxRate, actor, **changes) -> FxRate:
    rate = FxRate.objects.select_for_update().get(pk=fx_rate.pk)
    apply_changes(rate, changes, FX_RATE_FIELDS)
    _check_fx_rate(rate)
    return save_validated(rate, actor=actor, reason="fx_rate.changed")
