"""The one way a service says who made the next change of a record, and why.

django-simple-history writes a history row on every save; it takes the user from
``instance._history_user`` and the reason from ``instance._change_reason``. Services set
both through :func:`audit_next_save` and never by hand, so that an anonymous or missing
actor becomes ``None`` (not a failed foreign key) and a long reason is trimmed to the
history table's reason column instead of failing the save on PostgreSQL. The full reason
stays on the business record where the model keeps one (a reversal, a decision).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.bulk import insert_rows

ELLIPSIS = "…"

_UNSET: Any = object()


def actor_or_none(actor):
    """The user to record, or ``None`` for a system job or an anonymous request."""
    return actor if getattr(actor, "pk", None) else None


def history_reason_length(model) -> int | None:
    """The length of the history reason column of ``model`` (a class or an instance);
    ``None`` when the column has no limit or the model keeps no history."""
    history = getattr(model, "history", None)
    if history is None:
        return None
    field = history.model._meta.get_field("history_change_reason")
    return field.max_length


def history_reason(model, reason: str | None) -> str | None:
    """``reason`` trimmed to the history reason column of ``model``, ending in an ellipsis
    when cut, so the history row still shows that there was more."""
    limit = history_reason_length(model)
    if reason is None or limit is None or len(reason) <= limit:
        return reason
    return reason[: limit - len(ELLIPSIS)] + ELLIPSIS


def audit_next_save(instance, *, reason: str, actor=_UNSET) -> None:
    """Records ``actor`` and ``reason`` on the history row of the next save of ``instance``.

    Leave ``actor`` out to let simple-history take the request's user (its middleware), as
    a save without a service actor does; pass ``None`` for a system change.
    """
    if actor is not _UNSET:
        instance._history_user = actor_or_none(actor)
    instance._change_reason = history_reason(instance, reason)


def bulk_history(model, objs, *, history_type: str, reason: str, actor=None) -> int:
    """One history row per object of ``model`` for a write made in bulk (``"+"`` created,
    ``"~"`` changed, ``"-"`` deleted), written with one INSERT per batch: the same rows
    simple-history writes on ``save()``/``delete()``, with the actor and trimmed reason
    of :func:`audit_next_save`. Call it before a bulk delete (the rows must still be
    readable in memory) or after a bulk create/update."""
    if not objs:
        return 0
    history_model = model.history.model
    user = actor_or_none(actor)
    change_reason = history_reason(model, reason)
    now = timezone.now()
    attnames = [f.attname for f in history_model.tracked_fields]
    rows = [
        history_model(
            history_date=now,
            history_user=user,
            history_change_reason=change_reason,
            history_type=history_type,
            **{name: getattr(obj, name) for name in attnames},
        )
        for obj in objs
    ]
    insert_rows(rows)
    return len(rows)
