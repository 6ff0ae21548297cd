"""`{% saved_filters "invoices" %}` on a console list: the user's saved filters of that list
as links, the current one marked, and the forms to save, rename and delete."""

from __future__ import annotations

from django import template

from core.saved_filters.lists import LIST_PAGES
from core.saved_filters.services import filter_query, filters_of

register = template.Library()


@register.inclusion_tag("saved_filters/bar.html", takes_context=True)
def saved_filters(context, list_name: str) -> dict:
    request = context["request"]
    page = LIST_PAGES[list_name]
    current = filter_query(request.GET)
    rows = [
        {"filter": saved, "url": page.url(saved.query), "current": saved.query == current}
        for saved in filters_of(owner=request.user, list_name=list_name)
    ]
    return {
        "list_name": list_name,
        "rows": rows,
        "current_query": current,
        "csrf_token": context.get("csrf_token"),
    }
