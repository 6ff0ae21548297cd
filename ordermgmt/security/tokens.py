"""API tokens: django-rest-knox keeps only a SHA-512 digest and the first 15 characters
(to find the row); the token itself is shown once, when it is issued, and never again,
not even to an Admin. Every token expires (API_TOKEN_TTL_DAYS at most) and its owner or
an Admin revokes it by deleting the row.

Clients send `Authorization: Token <token>`, as with DRF's former plaintext tokens (those
were converted to digests by migration ordermgmt 0200_hash_api_tokens, expiring
API_TOKEN_TTL_DAYS after the upgrade).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions

from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError

logger = logging.getLogger(__name__)


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token check; a header that is not text (bytes outside UTF-8) is a bad
    token (401), not a server error."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as err:
            raise exceptions.AuthenticationFailed("Invalid token.") from err
        return super().authenticate_credentials(token)


class ApiTokenScheme(KnoxTokenScheme):
    """The OpenAPI schema's security scheme for these tokens (same name as DRF's former
    token scheme, so schema clients see no change)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"


def max_days() -> int:
    return int(getattr(settings, "API_TOKEN_TTL_DAYS", 90))


def tokens_of(user) -> QuerySet[AuthToken]:
    """The user's tokens that still work, newest first."""
    return (
        AuthToken.objects.filter(user=user).exclude(expiry__lt=timezone.now()).order_by("-created")
    )


@transaction.atomic(durable=True)
def issue_api_token(*, user, days: int | None = None) -> tuple[AuthToken, str]:
    """A new token for `user`, valid `days` (default and maximum API_TOKEN_TTL_DAYS).
    Returns the row and the token, which is not stored and cannot be shown again."""
    days = max_days() if days is None else days
    if not 1 <= days <= max_days():
        raise DomainValidationError(
            field="days",
            code=OrderError.OUT_OF_RANGE,
            message=f"A token is valid for 1 to {max_days()} days.",
        )
    limit = int(getattr(settings, "API_TOKEN_LIMIT_PER_USER", 10))
    if tokens_of(user).count() >= limit:
        raise DomainValidationError(
            field="__all__",
            code=OrderError.TOO_MANY_TOKENS,
            message=f"{user.get_username()} has {limit} tokens already: revoke one first.",
        )
    token, plaintext = AuthToken.objects.create(user=user, expiry=timedelta(days=days))
    logger.info("API token %s issued for user %s", token.token_key[:8], user.pk)
    return token, plaintext


@transaction.atomic(durable=True)
def revoke_api_token(*, user, token_key: str) -> None:
    """Revoke one of `user`'s tokens, named by its key (the first characters)."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    if not deleted:
        raise DomainValidationError(
            field="token", code=OrderError.UNKNOWN_TOKEN, message="No such token for this user."
        )
    logger.info("API token %s revoked for user %s", token_key[:8], user.pk)
