"""Contract entry in the admin: currency and payment terms as choices, a product picker
that fills the line's list price (static/ledgerline/contract-entry.js), ramp steps as rows
inside each line, the custom billing plan as rows with a running total, amounts shown
as money, and each error once on its field."""

from __future__ import annotations

import contextlib
import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.amount_input import AmountFormField, AmountInputError, parse_amount
from core.errors import DomainValidationError
from core.money import currency_choices, is_known_currency, minor_unit
from core.terms import COMMON_TERMS, PaymentTerms
from ordermgmt.models import Contract, ContractLine, ProductPrice, RampStep
from ordermgmt.services.tax_basis import check_price_book_basis
from ordermgmt.services.validation import overlapping_steps_error, ramp_step_errors

BLANK_ROWS = 1  # rows offered beside the filled ones, so that entry works without JS
_PERCENT = re.compile(r"^\d+(\.\d+)?$")


def amount_text(value, decimals: int = 2) -> str:
    """An amount for an input box: grouped, with the currency's decimals at least and no
    trailing zeros beyond them (36000.000000 -> "36,000.00", 0.125 -> "0.125")."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)  # what the user typed, shown back with its error
    places = max(decimals, -amount.normalize().as_tuple().exponent)
    return f"{amount:,.{places}f}"


class AmountInput(forms.TextInput):
    """A text box that shows a stored amount as money, not as `36000.000000`."""

    def __init__(self, attrs=None, decimals: int = 2):
        super().__init__({"inputmode": "decimal", "class": "amount-input", **(attrs or {})})
        self.decimals = decimals

    def format_value(self, value):
        return amount_text(value, self.decimals) or None


class OnceEach:
    """Form mixin: an error already shown on a field is not added to it again. The model
    field's validator and model.clean() check currency and terms alike; the user reads
    each reason once, on its field."""

    def _post_clean(self):
        # Fields the form already refused keep that one reason; model.clean() would only
        # repeat it in other words (or about the blank value left behind).
        self._refused_by_form = set(self._errors)
        super()._post_clean()

    def add_error(self, field, error):
        if not isinstance(error, ValidationError):
            error = ValidationError(error)
        if hasattr(error, "error_dict"):
            pairs = list(error.error_dict.items())
        else:
            pairs = [(field or NON_FIELD_ERRORS, error.error_list)]
        for name, errors in pairs:
            if name in getattr(self, "_refused_by_form", ()) and name != NON_FIELD_ERRORS:
                continue
            shown = set(self._errors.get(name, [])) if self._errors is not None else set()
            fresh = []
            for err in errors:
                text = err.messages[0] if err.messages else ""
                if text not in shown:
                    shown.add(text)
                    fresh.append(err)
            if fresh:
                super().add_error(None if name == NON_FIELD_ERRORS else name, fresh)


def terms_choices(current: str | None) -> list[tuple[str, str]]:
    choices = list(COMMON_TERMS)
    if current and current not in dict(choices):
        try:
            choices.append((current, PaymentTerms.parse(current).label))
        except Exception:  # noqa: BLE001  (a stored code the parser now refuses stays visible)
            choices.append((current, current))
    return choices


class RowsWidget(forms.Widget):
    """Rows of inputs posted as parallel lists (`<name>__<column>`), one row per entry.
    JS adds and removes rows; without JS the blank rows still take new entries."""

    columns: list[tuple[str, str, str]] = []  # (key, heading, input type)
    css_class = "rows-editor"

    def value_from_datadict(self, data, files, name):
        if name in data:  # a raw JSON list, as the API and older forms post it
            try:
                value = json.loads(data[name] or "[]")
            except ValueError:
                return data[name]
            return value if isinstance(value, list) else data[name]
        columns = [data.getlist(f"{name}__{key}") for key, _, _ in self.columns]
        rows = []
        for cells in zip(*columns, strict=False):
            if any(str(cell).strip() for cell in cells):
                rows.append({key: cell.strip() for (key, _, _), cell in zip(self.columns, cells)})
        return rows

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__{self.columns[0][0]}" not in data

    def rows(self, value) -> list[dict]:
        if isinstance(value, str):
            try:
                value = json.loads(value or "[]")
            except ValueError:
                value = []
        return [row for row in (value or []) if isinstance(row, dict)]

    def cell(self, name, key, kind, value):
        attrs = {"name": f"{name}__{key}", "value": "" if value is None else value}
        if kind == "amount":
            attrs.update(type="text", inputmode="decimal", **{"class": "amount-input"})
            attrs["value"] = amount_text(value, 0) if value not in ("", None) else ""
        else:
            attrs["type"] = kind
        return format_html(
            '<td><input aria-label="{}"{}></td>',
            key.replace("_", " "),
            forms.widgets.flatatt({k: v for k, v in attrs.items() if v is not None}),
        )

    def extra_cells(self, row) -> str:
        return ""

    def render_row(self, name, row):
        cells = format_html_join(
            "", "{}", ((self.cell(name, k, kind, row.get(k)),) for k, _, kind in self.columns)
        )
        return format_html(
            '<tr class="rows-editor-row">{}{}<td><button type="button" class="rows-remove" '
            'title="Remove this row">×</button></td></tr>',
            cells,
            self.extra_cells(row),
        )

    def footer(self, rows) -> str:
        return ""

    def render(self, name, value, attrs=None, renderer=None):
        rows = self.rows(value)
        body = format_html_join(
            "", "{}", ((self.render_row(name, row),) for row in [*rows, *[{}] * BLANK_ROWS])
        )
        head = format_html_join("", "<th>{}</th>", ((h,) for _, h, _ in self.columns))
        element_id = (attrs or {}).get("id", "")
        return format_html(
            '<div class="{}" id="{}" data-name="{}"><table><thead><tr>{}{}<th></th></tr></thead>'
            '<tbody>{}</tbody>{}</table><button type="button" class="rows-add">{}</button></div>',
            self.css_class,
            element_id,
            name,
            head,
            format_html("<th>{}</th>", self.extra_heading) if self.extra_heading else "",
            body,
            self.footer(rows),
            self.add_label,
        )

    extra_heading = ""
    add_label = "Add a row"


class BillingPlanWidget(RowsWidget):
    columns = [("billing_date", "Billing date", "date"), ("percent", "Percent", "text")]
    css_class = "rows-editor billing-plan"
    extra_heading = "Running total"
    add_label = "Add an installment"

    def render(self, name, value, attrs=None, renderer=None):
        self._running = Decimal(0)
        return super().render(name, value, attrs, renderer)

    def extra_cells(self, row):
        try:
            self._running += Decimal(str(row.get("percent") or 0))
        except InvalidOperation:
            return mark_safe('<td class="running-total">—</td>')
        if not row:
            return mark_safe('<td class="running-total"></td>')
        return format_html('<td class="running-total">{}%</td>', _percent_text(self._running))

    def footer(self, rows):
        total = Decimal(0)
        for row in rows:
            with contextlib.suppress(InvalidOperation):
                total += Decimal(str(row.get("percent") or 0))
        return format_html(
            '<tfoot><tr><th>Total</th><td class="plan-total" data-complete="{}">{}%</td>'
            "<td></td><td></td></tr></tfoot>",
            "yes" if total == 100 else "no",
            _percent_text(total),
        )


def _percent_text(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


class BillingPlanField(forms.Field):
    """Installments (billing date, percent) stored as today's JSON list of strings."""

    widget = BillingPlanWidget

    def to_python(self, value):
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            raise ValidationError("Enter the installments as rows of date and percent.")
        plan = []
        for index, row in enumerate(value, start=1):
            text_date = str(row.get("billing_date", "")).strip()
            text_percent = str(row.get("percent", "")).strip().rstrip("%").strip()
            if not text_date or not text_percent:
                raise ValidationError(
                    f"Installment {index}: enter both the billing date and the percent."
                )
            try:
                billing_date = date.fromisoformat(text_date)
            except ValueError:
                raise ValidationError(
                    f"Installment {index}: {text_date!r} is not a date (YYYY-MM-DD)."
                ) from None
            if not _PERCENT.match(text_percent):
                raise ValidationError(
                    f"Installment {index}: the percent {text_percent!r} is not a number."
                )
            plan.append({"billing_date": billing_date.isoformat(), "percent": text_percent})
        return plan


class RampStepsWidget(RowsWidget):
    columns = [
        ("start_date", "From", "date"),
        ("end_date", "To", "date"),
        ("quantity", "Quantity", "amount"),
        ("unit_price", "Unit price", "amount"),
    ]
    css_class = "rows-editor ramp-steps"
    add_label = "Add a ramp step"


class RampStepsField(forms.Field):
    """A line's ramp steps as rows; cleaned to unsaved RampStep objects."""

    widget = RampStepsWidget

    def prepare_value(self, value):
        if value and isinstance(value[0], RampStep):
            return [
                {
                    "start_date": step.start_date.isoformat(),
                    "end_date": step.end_date.isoformat(),
                    "quantity": step.quantity,
                    "unit_price": step.unit_price,
                }
                for step in value
            ]
        return value

    def to_python(self, value):
        if value in (None, "", []):
            return []
        if isinstance(value, str):
            raise ValidationError("Enter the ramp steps as rows.")
        steps = []
        for index, row in enumerate(value, start=1):
            if isinstance(row, RampStep):
                steps.append(row)
                continue
            missing = [h.lower() for k, h, _ in RampStepsWidget.columns if not str(row.get(k, ""))]
            if missing:
                raise ValidationError(f"Ramp step {index}: enter the {' and '.join(missing)}.")
            try:
                start, end = (date.fromisoformat(str(row[k])) for k in ("start_date", "end_date"))
            except ValueError:
                raise ValidationError(f"Ramp step {index}: dates are YYYY-MM-DD.") from None
            try:
                quantity = parse_amount(str(row["quantity"]), label=f"Ramp step {index} quantity")
                unit_price = parse_amount(
                    str(row["unit_price"]), label=f"Ramp step {index} unit price"
                )
            except AmountInputError as err:
                raise ValidationError(err.message, code=err.code) from None
            steps.append(
                RampStep(start_date=start, end_date=end, quantity=quantity, unit_price=unit_price)
            )
        return steps

    def has_changed(self, initial, data):
        def key(steps):
            return [
                (s.start_date, s.end_date, Decimal(s.quantity), Decimal(s.unit_price))
                for s in steps
            ]

        try:
            return key(self.to_python(initial) or []) != key(self.to_python(data) or [])
        except ValidationError:
            return True


NOT_A_CURRENCY = {"invalid_choice": "%(value)r is not an ISO 4217 currency code."}


class ContractAdminForm(OnceEach, forms.ModelForm):
    currency = forms.ChoiceField(
        choices=[("", "---------"), *currency_choices()], error_messages=NOT_A_CURRENCY
    )
    payment_terms = forms.ChoiceField(
        choices=COMMON_TERMS,
        error_messages={"invalid_choice": "%(value)r is not one of the payment terms offered."},
    )
    custom_billing_plan = BillingPlanField(
        required=False,
        label="Custom billing plan",
        help_text="Custom frequency only: one row per installment; the percents add to 100.",
    )

    class Meta:
        model = Contract
        fields = ["currency", "payment_terms", "custom_billing_plan"]  # the admin adds the rest

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.initial.get("payment_terms") or self.instance.payment_terms
        self.fields["payment_terms"].choices = terms_choices(current)
        self.fields["payment_terms"].initial = current or "NET30"


class ContractLineAdminForm(OnceEach, forms.ModelForm):
    currency = forms.ChoiceField(
        choices=[("", "Contract's"), *currency_choices()],
        required=False,
        error_messages=NOT_A_CURRENCY,
        help_text="Filled from the contract.",
    )
    quantity = AmountFormField(widget=AmountInput(attrs={"size": 8}, decimals=0), label="Qty")
    unit_price = AmountFormField(
        widget=AmountInput(attrs={"size": 12}), label="Unit price", help_text=""
    )
    ramp_steps = RampStepsField(required=False, label="Ramp steps")

    class Meta:
        model = ContractLine
        fields = ["product", "description", "quantity", "unit_price", "discount_percent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["ramp_steps"] = list(self.instance.ramp_steps.order_by("start_date"))

    def clean(self):
        cleaned = super().clean()
        steps = cleaned.get("ramp_steps") or []
        contract = cleaned.get("contract") or self.instance._state.fields_cache.get("contract")
        reasons = [e.message for step in steps for e in ramp_step_errors(step, contract=contract)]
        overlap = overlapping_steps_error(steps) if all(s.start_date for s in steps) else None
        if overlap:
            reasons.append(overlap.message)
        for reason in dict.fromkeys(reasons):
            self.add_error("ramp_steps", reason)
        product = cleaned.get("product")
        if contract is not None and product is not None:
            try:  # the contract's tax basis must be its price book's (services do the same)
                check_price_book_basis(contract, [ContractLine(product=product)])
            except DomainValidationError as err:
                self.add_error("product", err.message)
        return cleaned


def product_list_prices() -> dict[str, dict[str, str]]:
    """product id -> currency -> list price, for the picker to fill a line's unit price."""
    prices: dict[str, dict[str, str]] = {}
    for price in ProductPrice.objects.filter(list_price__isnull=False, product__active=True).values(
        "product_id", "currency", "list_price"
    ):
        currency = price["currency"]
        decimals = minor_unit(currency) if is_known_currency(currency) else 2
        prices.setdefault(str(price["product_id"]), {})[currency] = amount_text(
            price["list_price"], decimals
        )
    return prices


class RampStepInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        steps = [
            f.instance
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.instance.start_date
        ]
        overlap = overlapping_steps_error(steps)
        if overlap:
            raise forms.ValidationError(overlap.message, code=overlap.code)


class RampStepForm(forms.ModelForm):
    class Meta:
        model = RampStep
        fields = ["start_date", "end_date", "quantity", "unit_price"]

    def clean(self):
        cleaned = super().clean()
        step = RampStep(
            start_date=cleaned.get("start_date"),
            end_date=cleaned.get("end_date"),
            quantity=cleaned.get("quantity"),
            unit_price=cleaned.get("unit_price"),
        )
        contract = self.instance.line.contract if self.instance.line_id else None
        if contract is None and getattr(self, "parent_line", None) is not None:
            contract = self.parent_line.contract
        for err in ramp_step_errors(step, contract=contract):
            self.add_error(err.field if err.field in self.fields else None, err.message)
        return cleaned
