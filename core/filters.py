"""Pieces the list FilterSets of every app share (billing/filters.py, ordermgmt/filters.py,
ordermgmt/dealdesk/filters.py): the same filter read from a page's form and from the API."""

from __future__ import annotations

from django import forms


class CheckboxBooleanWidget(forms.CheckboxInput):
    """A checkbox on the page ("on" when ticked), true/false/1/0 from the API; absent is
    no filter at all (None), not False."""

    VALUES = {"on": True, "true": True, "1": True, "false": False, "0": False}

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value is None or value == "":
            return None
        return self.VALUES.get(str(value).lower())


def currency_select(model, empty_label: str = "Any") -> forms.Select:
    """Any currency code is accepted (the API's clients send any); the page offers the
    ones in use."""
    codes = model.objects.order_by("currency").values_list("currency", flat=True).distinct()
    return forms.Select(choices=[("", empty_label), *((c, c) for c in codes)])
