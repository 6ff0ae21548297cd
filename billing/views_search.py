"""The global search page behind the top bar's search box, and the JSON its type-ahead
dropdown reads: both ask the one `search_book`, so they find the same things."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from billing.search import search_book
from billing.search.selectors import MIN_QUERY_LENGTH, searchable_kinds

QUERY_MAX_LENGTH = 100
SUGGESTIONS_PER_KIND = 5


def _query(request) -> str:
    if not searchable_kinds(request.user):
        raise PermissionDenied("This account may not search the book.")
    return request.GET.get("q", "")[:QUERY_MAX_LENGTH].strip()


@login_required
def global_search(request):
    query = _query(request)
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


@login_required
@require_GET
def search_suggestions(request):
    """The top matches per kind while the user types; `all_url` is the full results page."""
    query = _query(request)
    groups = search_book(query=query, user=request.user, limit=SUGGESTIONS_PER_KIND)
    return JsonResponse(
        {
            "query": query,
            "all_url": f"{reverse('search')}?{urlencode({'q': query})}",
            "groups": [
                {
                    "kind": group.kind,
                    "title": group.title,
                    "more": group.more,
                    "hits": [
                        {"label": hit.label, "detail": hit.detail, "url": hit.url}
                        for hit in group.hits
                    ],
                }
                for group in groups
            ],
        }
    )
