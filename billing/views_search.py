"""The global search page behind the top bar's search box."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from billing.search import search_book
from billing.search.selectors import MIN_QUERY_LENGTH, searchable_kinds

QUERY_MAX_LENGTH = 100


@login_required
def global_search(request):
    if not searchable_kinds(request.user):
        raise PermissionDenied("This account may not search the book.")
    query = request.GET.get("q", "")[:QUERY_MAX_LENGTH].strip()
    groups = search_book(query=query, user=request.user) if query else []
    return render(
        request,
        "search/results.html",
        {
            "query": query,
            "groups": groups,
            "too_short": bool(query) and len(query) < MIN_QUERY_LENGTH,
        },
    )
