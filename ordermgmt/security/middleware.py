"""Session lifetime and the caching of what a signed-in user sees.

A session ends after SESSION_IDLE_TIMEOUT seconds without a request, and at the latest
SESSION_ABSOLUTE_TIMEOUT seconds after login, whatever the activity (SESSION_COOKIE_AGE
is the same absolute lifetime, so the browser drops the cookie then too). Django alone
has only the second, and it restarts whenever the session is saved.

Every response to a signed-in user, every API response and every document (invoice
PDFs are among the first) is `Cache-Control: no-store`: a shared or browser cache must not
keep customer data after the user has left.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.cache import add_never_cache_headers

LOGIN_AT = "ledgerline_login_at"
SEEN_AT = "ledgerline_seen_at"
# Writing the session on every request would cost a database write per page and per
# progress poll; the idle clock is kept to this precision instead.
SEEN_RESOLUTION = 30


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Ends a session that was idle too long or lives past its absolute lifetime. Needs
    the session, authentication and messages middleware before it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            self._check(request)
        return self.get_response(request)

    def _check(self, request) -> None:
        session = request.session
        now = int(time.time())
        login_at = session.get(LOGIN_AT)
        seen_at = session.get(SEEN_AT)
        if login_at is None or seen_at is None:  # a session from before these settings
            session[LOGIN_AT] = login_at or now
            session[SEEN_AT] = now
            return
        idle = now - seen_at > settings.SESSION_IDLE_TIMEOUT
        too_old = now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT
        if idle or too_old:
            logout(request)
            messages.info(request, "Your session expired; please log in again.")
            return
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now


class NoStoreMiddleware:
    """`Cache-Control: no-store` (and private, no-cache) on every response to a signed-in
    user and on every API response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith("/api/"):
            add_never_cache_headers(response)
        return response
