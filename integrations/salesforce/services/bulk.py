"""The sync's bulk UPDATE lives in core (contract services use it too)."""

from core.bulk import update_rows

__all__ = ["update_rows"]
