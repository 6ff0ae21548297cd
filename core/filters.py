"""Pieces the list FilterSets of every app share (billing/filters.py, ordermgmt/filters.py,
ordermgmt/dealdesk/filters.py): the same filter read from a page's form and from the API."""

from __future__ import annotations

from django import forms
from django.db import connections
from django_filters import rest_framework as filters

from core.ordering import stable_ordering


class StableOrderingFilter(filters.OrderingFilter):
    """`sort`: ties broken by the primary key in the sort's direction (core.ordering), so
    that a page, the next page and the CSV never repeat or miss a row."""

    def filter(self, qs, value):
        if value in ([], (), {}, "", None):
            return qs
        return qs.order_by(*stable_ordering(self.get_ordering_value(p) for p in value))


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
    # A callable: read when the page renders the select, never for the API or the CSV.
    return forms.Select(
        choices=lambda: [("", empty_label), *((c, c) for c in currencies_in_use(model))]
    )


def currencies_in_use(model) -> list[str]:
    """The distinct `currency` codes of `model`'s rows. On PostgreSQL a loose index scan
    (one index probe per code, on an index that starts with `currency`), so a list of a
    million invoices in three currencies costs three probes, not a scan of the table."""
    connection = connections[model.objects.db]
    if connection.vendor != "postgresql":
        return list(
            model.objects.order_by("currency").values_list("currency", flat=True).distinct()
        )
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE codes(code) AS (
              (SELECT currency FROM {table} ORDER BY currency LIMIT 1)
              UNION ALL
              SELECT (SELECT currency FROM {table} WHERE currency > codes.code
                      ORDER BY currency LIMIT 1)
              FROM codes WHERE codes.code IS NOT NULL
            )
            SELECT code FROM codes WHERE code IS NOT NULL
            """
        )
        return [row[0] for row in cursor.fetchall()]
