"""The one way a record's status moves: along a transition table kept beside its enum.

A model mixes in :class:`StatusMachine` and names its table::

    INVOICE_TRANSITIONS = {
        InvoiceStatus.DRAFT: {InvoiceStatus.ISSUED, InvoiceStatus.VOID},
        InvoiceStatus.ISSUED: {InvoiceStatus.VOID},
        InvoiceStatus.VOID: set(),
    }

    class Invoice(StatusMachine, models.Model):
        transitions = INVOICE_TRANSITIONS
        status_noun = "An invoice"

Services then call ``invoice.transition_to(InvoiceStatus.ISSUED)`` for one row, or
``Invoice.transition_rows(queryset, from_status=..., to_status=...)`` for a bulk update;
an illegal move raises ``transition_error(field="status", code="illegal_transition")``
naming both states, and changes nothing. A model whose ``save()`` refuses other status
changes asks :meth:`StatusMachine.moved_by_transition` whether the move came from here.

An illegal move raises ``DomainValidationError`` (``transition_error``, which a model may
replace with its own class).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from typing import Any, ClassVar

from core.errors import DomainValidationError

FIELD = "status"
CODE = "illegal_transition"


class StatusMachine:
    """Mixin for a model whose status changes only along ``transitions``."""

    transitions: ClassVar[Mapping[Hashable, Collection[str]]]
    transition_error: ClassVar[type[Exception]] = DomainValidationError
    status_noun: ClassVar[str] = "A record"
    status_field: ClassVar[str] = "status"

    # --- what a model may override ---------------------------------------------------

    def transition_key(self) -> Hashable:
        """The row of ``transitions`` that applies now (the status, by default)."""
        return getattr(self, self.status_field)

    @classmethod
    def status_label(cls, value: str) -> str:
        """How a state is named in the refusal message."""
        return value

    def transition_subject(self) -> str:
        return self.status_noun

    # --- the mechanism ----------------------------------------------------------------

    def can_transition_to(self, new_status: str) -> bool:
        return new_status in self.transitions.get(self.transition_key(), ())

    def transition_to(self, new_status: str) -> None:
        """Moves the status to ``new_status`` (saved by the caller), or refuses."""
        if not self.can_transition_to(new_status):
            raise self.illegal_transition(
                self.transition_subject(), getattr(self, self.status_field), new_status
            )
        setattr(self, self.status_field, new_status)
        self._transition_allowed = True

    def moved_by_transition(self) -> bool:
        """True when the pending status change came through :meth:`transition_to`."""
        return getattr(self, "_transition_allowed", False)

    def transition_saved(self) -> None:
        """Called after a save, so that the next change needs its own transition."""
        self._transition_allowed = False

    @classmethod
    def illegal_transition(cls, subject: str, old: str, new: str) -> Exception:
        old_name = cls.status_label(old) if old else "no status"
        return cls.transition_error(
            field=FIELD,
            code=CODE,
            message=f"{subject} cannot move from {old_name} to {cls.status_label(new)}.",
        )

    @classmethod
    def check_transition(cls, old: str, new: str) -> None:
        """Refuses a move the table does not allow (for bulk writes keyed by status)."""
        if new not in cls.transitions.get(old, ()):
            raise cls.illegal_transition(cls.status_noun, old, new)

    @classmethod
    def transition_rows(cls, queryset, *, from_status: str, to_status: str, **fields: Any) -> int:
        """Moves every row of ``queryset`` that is in ``from_status`` to ``to_status``
        (with ``fields`` written alongside) in one UPDATE; returns how many moved."""
        cls.check_transition(from_status, to_status)
        return queryset.filter(**{cls.status_field: from_status}).update(
            **{cls.status_field: to_status}, **fields
        )
