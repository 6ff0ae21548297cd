"""Permission checks for server-rendered pages (the API uses DRF permission classes)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required


def require(*perms: str):
    """Signed in (else to the login page), holding every permission (else 403)."""

    def decorator(view):
        return login_required(permission_required(list(perms), raise_exception=True)(view))

    return decorator
