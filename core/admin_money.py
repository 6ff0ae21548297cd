"""Money shown as money in every admin: each amount column of a changelist and each
read-only amount of a change page reads `$36,000.00`, not `36000.0000`.

An amount is a 4-place DecimalField (STYLE: `<name>_amount`, 19 digits, 4 places; a
quantity is not money) on a model whose currency the row can name: its own `currency`
field or the path in CURRENCY_PATHS. `format_money_in_admins(site)`, called once all
admins are registered, swaps each such name in an admin's list display and read-only
fields for a display of the same amount through `core.money.format_money` (the one
definition the contract admin uses); sorting by the column still sorts by the amount.
Unit prices (6 places) are left as they are: rounding them to cents would hide them.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MethodType

from django.contrib import admin
from django.db import models

from core.money import format_money

# Models whose currency is not a field named `currency`.
CURRENCY_PATHS = {
    "ordermgmt.dealdeskrule": "threshold_currency",
    "revenue.revenuecontractsettings": "contract.currency",
}
_SUFFIX = "__money"


def _is_amount(field) -> bool:
    return (
        isinstance(field, models.DecimalField)
        and field.decimal_places == 4
        and field.max_digits == 19
        and "quantity" not in field.name
        and field.name != "package_size"
    )


def currency_path(model) -> str | None:
    path = CURRENCY_PATHS.get(model._meta.label_lower)
    if path:
        return path
    names = {field.name for field in model._meta.get_fields()}
    return "currency" if "currency" in names else None


def amount_fields(model) -> dict[str, models.DecimalField]:
    """The model's amounts shown as money (empty if the row cannot name its currency)."""
    if currency_path(model) is None:
        return {}
    return {
        field.name: field
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and _is_amount(field)
    }


def _read(obj, path: str):
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj


def money_display(field: models.DecimalField, path: str) -> Callable:
    def shown(obj):
        amount, currency = getattr(obj, field.name), _read(obj, path)
        if amount is None or not currency:
            return "—" if amount is None else amount
        return format_money(amount, currency)

    return admin.display(description=field.verbose_name, ordering=field.name)(shown)


def _swap(names, amounts: dict) -> list:
    return [f"{name}{_SUFFIX}" if name in amounts else name for name in names]


def _install_inlines(model_admin: admin.ModelAdmin) -> None:
    get_inline_instances = model_admin.get_inline_instances

    def inline_instances(self, request, obj=None):
        inlines = get_inline_instances(request, obj)
        for inline in inlines:
            _install(inline)
        return inlines

    model_admin.get_inline_instances = MethodType(inline_instances, model_admin)


def _install(model_admin: admin.options.BaseModelAdmin) -> None:
    model = model_admin.model
    amounts = amount_fields(model)
    if not amounts:
        return
    path = currency_path(model)
    for name, field in amounts.items():
        setattr(model_admin, f"{name}{_SUFFIX}", money_display(field, path))
    get_list_display = getattr(model_admin, "get_list_display", None)
    get_readonly_fields = model_admin.get_readonly_fields
    get_fieldsets = model_admin.get_fieldsets
    get_exclude = model_admin.get_exclude

    def readonly_amounts(request, obj) -> set[str]:
        return set(get_readonly_fields(request, obj)) & set(amounts)

    def list_display(self, request):
        return _swap(get_list_display(request), amounts)

    def readonly_fields(self, request, obj=None):
        return _swap(get_readonly_fields(request, obj), amounts)

    def exclude(self, request, obj=None):
        # The form must not offer the amount the page shows read-only as money.
        excluded = list(get_exclude(request, obj) or [])
        return excluded + sorted(readonly_amounts(request, obj) - set(excluded)) or None

    def fieldsets(self, request, obj=None):
        shown = readonly_amounts(request, obj)
        return [
            (title, {**options, "fields": _swap_nested(options.get("fields", ()), shown)})
            for title, options in get_fieldsets(request, obj)
        ]

    # Bound to this admin, as methods are (the admin's checks look for `__func__`).
    if hasattr(model_admin, "get_list_display"):  # inlines have no changelist
        model_admin.get_list_display = MethodType(list_display, model_admin)
    model_admin.get_readonly_fields = MethodType(readonly_fields, model_admin)
    model_admin.get_exclude = MethodType(exclude, model_admin)
    model_admin.get_fieldsets = MethodType(fieldsets, model_admin)


def _swap_nested(fields, shown: set[str]) -> list:
    swapped = []
    for item in fields:
        if isinstance(item, list | tuple):
            swapped.append(tuple(_swap(item, {name: None for name in shown})))
        else:
            swapped.append(_swap([item], {name: None for name in shown})[0])
    return swapped


def format_money_in_admins(site: admin.AdminSite) -> None:
    for model_admin in site._registry.values():
        _install(model_admin)
        _install_inlines(model_admin)
