"""The portal's own sign-in, apart from staff logins: the session holds the contact's id,
and `portal_contact_required` puts the contact on the request or sends to sign-in."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.shortcuts import redirect

from ordermgmt.models import Contact

SESSION_KEY = "portal_contact_id"


def start_portal_session(request, contact: Contact) -> None:
    request.session.cycle_key()  # no session fixation across the sign-in
    request.session[SESSION_KEY] = contact.pk
    request.session.set_expiry(settings.PORTAL_SESSION_SECONDS)


def end_portal_session(request) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def portal_contact_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        contact_id = request.session.get(SESSION_KEY)
        contact = (
            Contact.objects.select_related("account")
            .filter(pk=contact_id, is_billing_contact=True)
            .first()
            if contact_id
            else None
        )
        if contact is None:
            return redirect("portal:sign_in")
        request.portal_contact = contact
        request.portal_account = contact.account
        return view(request, *args, **kwargs)

    return wrapper
