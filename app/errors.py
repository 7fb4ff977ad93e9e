"""Domain errors raised by services and translated to HTTP at the edge (``app/main.py``).

Messages are already translated (services run with the request's locale, see ``app/i18n.py``),
so a route can show them next to the field they name.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class NotSignedIn(DomainError):
    status_code = 401


class NotJoined(PermissionDenied):
    """Someone who is not in the event asks for one of its pages: a page asked for is answered
    with the form that asks for the event's code."""


class Conflict(DomainError):
    status_code = 409


class RateLimited(DomainError):
    status_code = 429


class Invalid(DomainError):
    """One or more fields are wrong; ``errors`` maps field name to message."""

    status_code = 422

    def __init__(self, errors: dict[str, str]) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors
