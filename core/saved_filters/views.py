"""Save, rename and delete a saved filter from the list it filters; each answers with a
redirect back to that list (a refusal as a message, nothing changed)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from core.errors import DomainValidationError

from . import services
from .lists import LIST_PAGES, ListPage
from .models import SavedFilter


def _list_page(request, list_name: str) -> ListPage:
    page = LIST_PAGES.get(list_name)
    if page is None:
        raise Http404("No such list")
    if not request.user.has_perm(page.permission):
        raise PermissionDenied
    return page


def _own(request, pk: int) -> SavedFilter:
    # Another user's filter is not found: its name and query are theirs.
    return get_object_or_404(SavedFilter, pk=pk, owner=request.user)


@login_required
@require_POST
def saved_filter_save(request):
    list_name = request.POST.get("list_name", "")
    page = _list_page(request, list_name)
    query = request.POST.get("query", "")
    try:
        saved = services.save_filter(
            owner=request.user, list_name=list_name, name=request.POST.get("name", ""), query=query
        )
    except DomainValidationError as err:
        messages.error(request, err.message)
        return redirect(page.url(services.filter_query(query)))
    messages.success(request, f"Saved filter “{saved.name}”.")
    return redirect(page.url(saved.query))


@login_required
@require_POST
def saved_filter_rename(request, pk: int):
    saved = _own(request, pk)
    page = _list_page(request, saved.list_name)
    try:
        saved = services.rename_filter(
            saved_filter=saved, owner=request.user, name=request.POST.get("name", "")
        )
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, f"Renamed to “{saved.name}”.")
    return redirect(page.url(saved.query))


@login_required
@require_POST
def saved_filter_delete(request, pk: int):
    saved = _own(request, pk)
    page = _list_page(request, saved.list_name)
    services.delete_filter(saved_filter=saved, owner=request.user)
    messages.success(request, f"Deleted the saved filter “{saved.name}”.")
    return redirect(page.url())
