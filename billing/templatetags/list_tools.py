"""Sortable column headers for the console lists (the `sort` filter of billing/filters.py)."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str, css: str = ""):
    """A <th> whose link sorts by `key`, then by `-key` on a second click; the current
    order is shown by an arrow and aria-sort. The filters stay; the page goes back to 1."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    current = query.get("sort", "")
    if current == key:
        new, arrow, aria = f"-{key}", " ▲", "ascending"
    elif current == f"-{key}":
        new, arrow, aria = key, " ▼", "descending"
    else:
        new, arrow, aria = key, "", "none"
    query["sort"] = new
    return format_html(
        '<th class="{}" aria-sort="{}"><a class="sort" data-sort="{}" href="?{}">{}{}</a></th>',
        css,
        aria,
        key,
        query.urlencode(),
        label,
        arrow,
    )
