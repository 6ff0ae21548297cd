"""The change order form of a contract's console page (billing/views_changes.py)."""

from __future__ import annotations

from django import forms

from core.amount_input import AmountFormField
from ordermgmt.models import (
    ChangeKind,
    Contract,
    ContractLine,
    Product,
    ProrationBehavior,
    RevenueType,
)
from ordermgmt.services import ChangeOrderInput

DATE = forms.DateInput(attrs={"type": "date"})


class ChangeOrderForm(forms.Form):
    kind = forms.ChoiceField(label="Change", choices=ChangeKind.choices)
    line = forms.ModelChoiceField(
        label="Line", queryset=ContractLine.objects.none(), required=False
    )
    effective_date = forms.DateField(label="Effective from", required=False, widget=DATE)
    quantity = forms.DecimalField(label="New quantity", required=False, decimal_places=4)
    unit_price = AmountFormField(
        label="New unit price (a year)", required=False, max_digits=19, decimal_places=6
    )
    discount_percent = forms.DecimalField(label="New discount %", required=False)
    product = forms.ModelChoiceField(
        label="Replace with product",
        queryset=Product.objects.filter(revenue_type=RevenueType.SUBSCRIPTION, active=True),
        required=False,
    )
    new_end_date = forms.DateField(label="New end date", required=False, widget=DATE)
    proration_behavior = forms.ChoiceField(
        label="Proration", choices=ProrationBehavior.choices, initial="next_invoice"
    )
    allow_backdated = forms.BooleanField(label="Backdate into an invoiced period", required=False)
    reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = contract.lines.filter(
            product__revenue_type=RevenueType.SUBSCRIPTION
        ).select_related("product")
        self.fields["line"].label_from_instance = _line_label

    def change_input(self) -> ChangeOrderInput:
        data = self.cleaned_data
        return ChangeOrderInput(
            kind=data["kind"],
            effective_date=data.get("effective_date"),
            line=data.get("line"),
            quantity=data.get("quantity"),
            unit_price=data.get("unit_price"),
            discount_percent=data.get("discount_percent"),
            product=data.get("product"),
            new_end_date=data.get("new_end_date"),
            proration_behavior=data["proration_behavior"],
            allow_backdated=data.get("allow_backdated", False),
            reason=data.get("reason", ""),
        )


def _line_label(line: ContractLine) -> str:
    until = f" until {line.service_end}" if line.service_end else ""
    since = f" from {line.service_start}" if line.service_start else ""
    terms = f"{line.quantity.normalize():f} @ {line.unit_price.normalize():f}"
    return f"{line.product.sku} × {terms}{since}{until}"
