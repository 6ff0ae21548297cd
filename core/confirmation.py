"""Proof that a confirmation page was seen: the console acts only on the effect it showed.

The page that previews an action (a credit note, a void, a refund, a write-off) signs
what it showed: the action, the record, the user and the effect's figures. Its confirm
button posts that token back. The action view recomputes the effect and acts only if the
token is valid, is this user's, for this record and action, and the effect is unchanged.
A direct POST without the token, or a token whose effect has since changed (a payment
arrived, another credit note was issued), changes nothing: the view shows the preview of
the effect as it is now and asks again.

The API does not use this: a program has no confirmation page, and the services refuse
the same bad input whether it comes from a page or from the API.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from enum import StrEnum

from django.core import signing

SALT = "ledgerline.confirmation"
MAX_AGE_SECONDS = 60 * 60  # a preview left open longer is shown again
FIELD = "confirmation"  # the form field the token travels in


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    MISSING = "missing"  # no token, a forged one, or another user's, record's or action's
    STALE = "stale"  # the effect changed since the preview, or the preview is too old


def _fingerprint(effect) -> str:
    if dataclasses.is_dataclass(effect):
        effect = dataclasses.asdict(effect)
    text = json.dumps(effect, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _subject(record) -> str:
    return f"{record._meta.label_lower}:{record.pk}"


def confirmation_token(*, action: str, record, user, effect) -> str:
    """The token a preview page of `effect` (a dataclass or JSON-able dict) posts back."""
    return signing.dumps(
        {"a": action, "s": _subject(record), "u": user.pk, "e": _fingerprint(effect)},
        salt=SALT,
    )


def check_confirmation(token: str | None, *, action: str, record, user, effect) -> Verdict:
    """Whether `token` confirms `effect`, computed again just now, for this user."""
    if not token:
        return Verdict.MISSING
    try:
        signed = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return Verdict.STALE
    except signing.BadSignature:
        return Verdict.MISSING
    if (signed.get("a"), signed.get("s"), signed.get("u")) != (action, _subject(record), user.pk):
        return Verdict.MISSING
    if signed.get("e") != _fingerprint(effect):
        return Verdict.STALE
    return Verdict.CONFIRMED


NOTICES = {
    Verdict.MISSING: "Nothing was done yet: check the effect below and confirm it.",
    Verdict.STALE: (
        "Nothing was done: the figures changed since the preview (or it was open too "
        "long). This is the effect now; confirm it again."
    ),
}
