"""Forms of the AR report pages: they parse the query string into report parameters."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.utils import timezone

from billing.models import FxRate
from core.errors import DomainValidationError

from .aging import DEFAULT_EDGES, AgingBasis, AgingParams, reporting_currency_default
from .dso import ArBasis, DsoMethod, DsoParams, MonthDays, period_default


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _standard_currencies() -> list[str]:
    return list(getattr(settings, "LEDGERLINE_STANDARD_CURRENCIES", ["USD", "EUR", "GBP", "JPY"]))


def reporting_currency_choices() -> list[tuple[str, str]]:
    codes = set(_standard_currencies()) | {reporting_currency_default()}
    codes |= set(FxRate.objects.values_list("reporting_currency", flat=True).distinct())
    return [(c, c) for c in sorted(codes)]


def document_currency_choices(extra: set[str] | None = None) -> list[tuple[str, str]]:
    codes = set(_standard_currencies()) | set(extra or ())
    codes |= set(FxRate.objects.values_list("currency", flat=True).distinct())
    return [("", "All currencies")] + [(c, c) for c in sorted(codes)]


class _ParamsForm(forms.Form):
    def _to_params(self, build):
        """The parameters, or None with the error attached to its field."""
        if not self.is_valid():
            return None
        try:
            return build(self.cleaned_data)
        except DomainValidationError as err:
            self.add_error(err.field if err.field in self.fields else None, err.message)
            return None


class AgingForm(_ParamsForm):
    as_of = forms.DateField(label="As of", widget=DateInput())
    basis = forms.ChoiceField(label="Age by", choices=AgingBasis.CHOICES)
    edges = forms.CharField(
        label="Bucket edges (days)",
        max_length=60,
        help_text="Upper ends of the overdue buckets, e.g. 30,60,90,120",
    )
    currency = forms.ChoiceField(label="Currency", required=False)
    reporting_currency = forms.ChoiceField(label="Reporting currency")

    def __init__(self, data=None, *, today: date | None = None, currencies=None):
        today = today or timezone.localdate()
        defaults = {
            "as_of": today.isoformat(),
            "basis": AgingBasis.DUE_DATE,
            "edges": ",".join(str(e) for e in DEFAULT_EDGES),
            "currency": "",
            "reporting_currency": reporting_currency_default(),
        }
        merged = {**defaults, **{k: v for k, v in (data or {}).items() if k in defaults and v}}
        super().__init__(merged)
        chosen = {merged["currency"]} - {""}
        self.fields["currency"].choices = document_currency_choices(set(currencies or ()) | chosen)
        self.fields["reporting_currency"].choices = reporting_currency_choices()
        if merged["reporting_currency"] not in dict(self.fields["reporting_currency"].choices):
            self.fields["reporting_currency"].choices.append(
                (merged["reporting_currency"], merged["reporting_currency"])
            )

    def to_params(self) -> AgingParams | None:
        return self._to_params(
            lambda d: AgingParams(
                as_of=d["as_of"],
                basis=d["basis"],
                edges=d["edges"],
                currency=d["currency"] or None,
                reporting_currency=d["reporting_currency"],
            )
        )


class DsoForm(_ParamsForm):
    start = forms.DateField(label="Period from", widget=DateInput())
    end = forms.DateField(label="to", widget=DateInput())
    method = forms.ChoiceField(label="Method", choices=DsoMethod.CHOICES)
    ar_basis = forms.ChoiceField(label="AR", choices=ArBasis.CHOICES)
    month_days = forms.ChoiceField(label="Countback months", choices=MonthDays.CHOICES)
    currency = forms.ChoiceField(label="Currency", required=False)
    reporting_currency = forms.ChoiceField(label="Reporting currency")

    def __init__(self, data=None, *, today: date | None = None):
        start, end = period_default(today or timezone.localdate())
        defaults = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "method": DsoMethod.SIMPLE,
            "ar_basis": ArBasis.NET,
            "month_days": MonthDays.ACTUAL,
            "currency": "",
            "reporting_currency": reporting_currency_default(),
        }
        merged = {**defaults, **{k: v for k, v in (data or {}).items() if k in defaults and v}}
        super().__init__(merged)
        chosen = {merged["currency"]} - {""}
        self.fields["currency"].choices = document_currency_choices(chosen)
        self.fields["reporting_currency"].choices = reporting_currency_choices()

    def to_params(self) -> DsoParams | None:
        return self._to_params(
            lambda d: DsoParams(
                start=d["start"],
                end=d["end"],
                method=d["method"],
                ar_basis=d["ar_basis"],
                month_days=d["month_days"],
                currency=d["currency"] or None,
                reporting_currency=d["reporting_currency"],
            )
        )


class OpenArImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, header line first")
    cutover_date = forms.DateField(label="Cut-over date", widget=DateInput())

    MAX_BYTES = 20 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB; split it.")
        return upload
