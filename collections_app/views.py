"""Collections pages: the worklist of overdue accounts and one account's collections page.

Finance and Admin read and write; Auditors read (the forms are not shown and a POST is
403); Order Specialists and Deal Desk get 403 (see ordermgmt/roles.py). Reads go through
collections_app.selectors, writes through collections_app.services only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing.models import Invoice, InvoiceStatus, SettlementStatus
from collections_app import selectors, services
from collections_app.models import (
    ActivityKind,
    CallOutcome,
    CollectionActivity,
    DisputeReason,
    DisputeResolution,
)
from core.amount_input import AmountFormField
from core.errors import DomainValidationError
from core.permissions import require
from ordermgmt.models import Account, Contact

VIEW = "collections_app.view_collectionactivity"
ADD = "collections_app.add_collectionactivity"
CHANGE = "collections_app.change_collectionactivity"
PAUSE = "collections_app.change_accountdunning"


def collectors():
    """Users who may own a dispute: they can work collections."""
    permission = Q(
        groups__permissions__codename="change_collectionactivity",
        groups__permissions__content_type__app_label="collections_app",
    )
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(permission | Q(is_superuser=True))
        .distinct()
        .order_by("username")
    )


# --- Forms (shapes only; the rules are in the services) -------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class InvoiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, invoice: Invoice) -> str:
        return f"{invoice.number} · due {invoice.due_date:%Y-%m-%d}"


class AccountForm(forms.Form):
    open_invoices_only = False  # promises and disputes are about what is still owed

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        if "invoice" in self.fields:
            invoices = Invoice.objects.filter(account=account, status=InvoiceStatus.ISSUED)
            if self.open_invoices_only:
                invoices = invoices.exclude(settlement_status=SettlementStatus.PAID)
            self.fields["invoice"].queryset = invoices.order_by("due_date", "pk")


class NoteForm(AccountForm):
    invoice = InvoiceChoiceField(queryset=Invoice.objects.none(), required=False)
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))

    def save(self, actor):
        return services.add_collection_note(
            account=self.account,
            invoice=self.cleaned_data["invoice"],
            body=self.cleaned_data["body"],
            actor=actor,
        )


class PromiseForm(AccountForm):
    open_invoices_only = True
    invoice = InvoiceChoiceField(queryset=Invoice.objects.none())
    promised_date = forms.DateField(label="Will pay by", widget=DateInput)
    amount = AmountFormField(max_digits=19, decimal_places=4, min_value=0)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def save(self, actor):
        return services.record_promise_to_pay(
            account=self.account, actor=actor, **self.cleaned_data
        )


class DisputeForm(AccountForm):
    open_invoices_only = True
    invoice = InvoiceChoiceField(queryset=Invoice.objects.none())
    reason = forms.ChoiceField(choices=DisputeReason.choices)
    amount = AmountFormField(label="Disputed amount", max_digits=19, decimal_places=4, min_value=0)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = collectors()
        self.fields["owner"].empty_label = "Me"

    def save(self, actor):
        return services.open_dispute(account=self.account, actor=actor, **self.cleaned_data)


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, contact: Contact) -> str:
        return f"{contact.name} · {contact.phone or 'no phone'}"


class LogCallForm(AccountForm):
    outcome = forms.ChoiceField(choices=CallOutcome.choices)
    contact = ContactChoiceField(queryset=Contact.objects.none(), required=False, label="Called")
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = Contact.objects.filter(account=self.account).order_by(
            "-is_billing_contact", "name"
        )

    def save(self, actor):
        return services.log_call(account=self.account, actor=actor, **self.cleaned_data)


class PauseForm(AccountForm):
    reason = forms.CharField(max_length=200, label="Why")

    def save(self, actor):
        return services.pause_dunning(
            account=self.account, reason=self.cleaned_data["reason"], actor=actor
        )


class ResumeForm(AccountForm):
    def save(self, actor):
        return services.resume_dunning(account=self.account, actor=actor)


class ActivityForm(forms.Form):
    def __init__(self, *args, activity: CollectionActivity, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity


class ResolveDisputeForm(ActivityForm):
    resolution = forms.ChoiceField(choices=DisputeResolution.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def save(self, actor):
        return services.resolve_dispute(dispute=self.activity, actor=actor, **self.cleaned_data)


class ReassignDisputeForm(ActivityForm):
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = collectors()

    def save(self, actor):
        return services.update_dispute(
            dispute=self.activity, owner=self.cleaned_data["owner"], actor=actor
        )


class CancelPromiseForm(ActivityForm):
    reason = forms.CharField(max_length=500)

    def save(self, actor):
        return services.cancel_promise_to_pay(
            promise=self.activity, reason=self.cleaned_data["reason"], actor=actor
        )


class CompleteCallForm(ActivityForm):
    outcome = forms.CharField(
        label="What was agreed", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def save(self, actor):
        return services.complete_call(
            call=self.activity, outcome=self.cleaned_data["outcome"], actor=actor
        )


@dataclass(frozen=True)
class Action:
    form_class: type[forms.Form]
    permission: str
    done: str
    kind: str | None = None  # for activity actions: the kind it applies to


ACCOUNT_ACTIONS: dict[str, Action] = {
    "note": Action(NoteForm, ADD, "Note added."),
    "promise": Action(PromiseForm, ADD, "Promise to pay recorded."),
    "dispute": Action(DisputeForm, ADD, "Dispute opened; dunning on the invoice is paused."),
    "call": Action(LogCallForm, ADD, "Call logged."),
    "pause": Action(PauseForm, PAUSE, "Dunning paused for this account."),
    "resume": Action(ResumeForm, PAUSE, "Dunning resumed."),
}

ACTIVITY_ACTIONS: dict[str, Action] = {
    "resolve": Action(ResolveDisputeForm, CHANGE, "Dispute resolved.", ActivityKind.DISPUTE),
    "reassign": Action(ReassignDisputeForm, CHANGE, "Dispute reassigned.", ActivityKind.DISPUTE),
    "cancel": Action(CancelPromiseForm, CHANGE, "Promise cancelled.", ActivityKind.PROMISE),
    "complete": Action(CompleteCallForm, CHANGE, "Call recorded.", ActivityKind.CALL),
}


# --- Pages ------------------------------------------------------------------------------------


@require(VIEW)
def worklist(request):
    show = request.GET.get("show", "")
    if show not in selectors.WORKLIST_FILTERS:
        show = ""
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    as_of = timezone.localdate()
    found = selectors.worklist_page(as_of=as_of, show=show, page=page)
    return render(
        request,
        "collections/worklist.html",
        {
            "rows": found.rows,
            "page": found,
            "as_of": as_of,
            "show": show,
            "filters": selectors.WORKLIST_FILTERS.items(),
            "reporting_currency": selectors.reporting_currency(),
        },
    )


def _account_page(request, account: Account, bound: dict[str, forms.Form] | None = None):
    bound = bound or {}
    user = request.user
    forms_shown: dict[str, Any] = {}
    for name, action in ACCOUNT_ACTIONS.items():
        if user.has_perm(action.permission):
            forms_shown[name] = bound.get(name) or action.form_class(account=account, prefix=name)
    detail = selectors.account_collections(account, as_of=timezone.localdate())
    activity_forms = {}
    for row in detail.activities:
        activity = row.activity
        for name, action in ACTIVITY_ACTIONS.items():
            if action.kind != activity.kind or activity.status != "open":
                continue
            if not user.has_perm(action.permission):
                continue
            prefix = f"{name}-{activity.pk}"
            activity_forms.setdefault(activity.pk, {})[name] = bound.get(prefix) or (
                action.form_class(activity=activity, prefix=prefix)
            )
    return render(
        request,
        "collections/account.html",
        {
            "account": account,
            "detail": detail,
            "forms": forms_shown,
            "activity_rows": [
                (row, activity_forms.get(row.activity.pk, {})) for row in detail.activities
            ],
        },
        status=400 if bound else 200,
    )


@require(VIEW)
def account_page(request, account_id: int):
    return _account_page(request, get_object_or_404(Account, pk=account_id))


def _run(request, form, action: Action, account: Account, prefix: str):
    if not request.user.has_perm(action.permission):
        raise PermissionDenied
    if form.is_valid():
        try:
            form.save(request.user)
        except DomainValidationError as err:
            field = err.field if err.field in form.fields else None
            form.add_error(field, err.message)
        else:
            messages.success(request, action.done)
            return redirect(reverse("collections:account", args=[account.pk]))
    return _account_page(request, account, {prefix: form})


@require_POST
@require(VIEW)
def account_action(request, account_id: int, action: str):
    account = get_object_or_404(Account, pk=account_id)
    spec = ACCOUNT_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    form = spec.form_class(request.POST, account=account, prefix=action)
    return _run(request, form, spec, account, action)


@require_POST
@require(VIEW)
def activity_action(request, activity_id: int, action: str):
    activity = get_object_or_404(
        CollectionActivity.objects.select_related("account"), pk=activity_id
    )
    spec = ACTIVITY_ACTIONS.get(action)
    if spec is None or spec.kind != activity.kind:
        raise Http404("No such action")
    prefix = f"{action}-{activity.pk}"
    form = spec.form_class(request.POST, activity=activity, prefix=prefix)
    return _run(request, form, spec, activity.account, prefix)
