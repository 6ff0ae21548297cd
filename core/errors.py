"""The one error type for bad input and refused business moves."""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import ValidationError


class DomainValidationError(Exception):
    """Names the input at fault (`field`, or "__all__"), a stable `code` and a message."""

    def __init__(self, *, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}

    def as_validation_error(self) -> ValidationError:
        """For Django forms and model.clean(): attach the message to its field."""
        error = ValidationError(self.message, code=self.code)
        if self.field == "__all__":
            return error
        return ValidationError({self.field: error})


class ErrorCode(StrEnum):
    """Base of each app's error-code catalog (`<app>/error_codes.py`).

    Members compare equal to their code string, so `err.code == "exceeds_open_balance"`
    holds and the JSON body carries the plain string.
    """
