"""The signed-in user's API tokens: issue one (shown once, on this response only),
list them, revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainValidationError

from . import tokens


class IssueTokenForm(forms.Form):
    days = forms.IntegerField(label="Valid for (days)", min_value=1)


@login_required
def api_tokens(request):
    form = IssueTokenForm(request.POST or None, initial={"days": tokens.max_days()})
    new_token = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _, new_token = tokens.issue_api_token(
                    user=request.user, days=form.cleaned_data["days"]
                )
            except DomainValidationError as err:
                form.add_error(err.field if err.field in form.fields else None, err.message)
            else:
                status = 201
                form = IssueTokenForm(initial={"days": tokens.max_days()})
    return render(
        request,
        "registration/api_tokens.html",
        {
            "form": form,
            "new_token": new_token,
            "tokens": tokens.tokens_of(request.user),
            "max_days": tokens.max_days(),
        },
        status=status,
    )


@login_required
@require_POST
def api_token_revoke(request):
    try:
        tokens.revoke_api_token(user=request.user, token_key=request.POST.get("token_key", ""))
    except DomainValidationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, "Token revoked: it no longer works.")
    return redirect("api_tokens")
