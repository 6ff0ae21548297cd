"""Admin changelists of tables that grow with the book (invoices, payments, credit notes):
no whole-table count, no whole-table DISTINCT for a filter's choices.

Django's changelist counts the filtered list (the paginator) and, unless told not to, the
whole table again; `date_hierarchy` reads the distinct years of the whole table on every
request; a list filter on a plain CharField reads its distinct values. Each is a scan of a
million rows. These lists use the estimated count of core.pagination, skip the full count,
leave out date_hierarchy (the date list filters stay) and read currencies with a loose
index scan. Sorted by a column, ties are broken as on the console and the API
(core.ordering)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.views.main import ChangeList

from core.filters import currencies_in_use
from core.ordering import stable_ordering
from core.pagination import EstimatedCountPaginator


class StableOrderChangeList(ChangeList):
    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if len(ordering) > 1 and ordering[-1] == "-pk":  # Django's own tie-break
            return stable_ordering(ordering[:-1])
        return ordering


class LongListAdminMixin:
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = ShowFacets.NEVER  # a count per filter choice over the whole list

    def get_changelist(self, request, **kwargs):
        return StableOrderChangeList


class CurrencyListFilter(admin.AllValuesFieldListFilter):
    """The `currency` filter (the same `currency` parameter) whose choices come from
    an index, not from a DISTINCT over the table."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = _LazyCurrencies(model)


class _LazyCurrencies:
    """Read when the filter's choices are rendered, not when the changelist is built."""

    def __init__(self, model):
        self.model = model

    def __iter__(self):
        return iter(currencies_in_use(self.model))
