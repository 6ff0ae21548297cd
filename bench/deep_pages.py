"""`bench/pages.py --deep`: an API list's page-number page and cursor page at the same depth.

The cursor page starts at the same row as the page-number page: its cursor is made for
the row before, as the previous page's `next` link would carry it (`core/keyset.py`).
"""

from __future__ import annotations

from urllib.parse import urlencode


def deep_paths(
    paths: list[str], fraction: float, queries: list[str], size: int, per: int, admin
) -> dict[str, str]:
    """{label: URL}: for each API list and query, the page-number page and the cursor page
    that start at `fraction` of the list's rows (counted here, once, as a setup)."""
    from django.test import RequestFactory
    from django.urls import resolve
    from rest_framework.exceptions import ValidationError
    from rest_framework.test import force_authenticate

    from core import keyset

    out = {}
    for path in (p for p in paths if p.startswith("/api/")):
        for query in queries:
            match = resolve(path)
            request = RequestFactory().get(f"{path}?{query}")
            force_authenticate(request, admin)
            view = match.func.cls(**match.func.initkwargs)
            view.action_map = match.func.actions
            view.request = view.initialize_request(request)
            view.args, view.kwargs, view.format_kwarg, view.action = (), {}, None, "list"
            try:
                queryset = view.filter_queryset(view.get_queryset())
            except ValidationError:  # a query this list does not take (its own `sort`)
                continue
            offset = int(min(size, queryset.count()) * fraction) // per * per
            if offset < per:
                continue
            pk = keyset.rows_in_order(queryset).values_list("pk", flat=True)[offset - 1]
            cursor = keyset.cursor_after(queryset, path=path, pk=pk)
            sep = f"{query}&" if query else ""
            # Named by the fraction, not the offset, so the two sizes' rows line up.
            label = f"{path}{'?' + query if query else ''} at {fraction:.0%}"
            out[f"{label} page"] = f"{path}?{sep}page={offset // per + 1}&page_size={per}"
            out[f"{label} cursor"] = f"{path}?{sep}{urlencode({'cursor': cursor})}&page_size={per}"
    return out
