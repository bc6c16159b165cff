"""Domain errors: named, translatable, and mapped to HTTP answers by the entry points."""

from __future__ import annotations

from flask_babel import LazyString


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    status = 422

    def __init__(self, message: str | LazyString, field: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra

    def __str__(self) -> str:
        return str(self.message)


class InvalidValue(DomainError):
    """A value breaks a rule (422)."""


class NotFound(DomainError):
    """A referenced object does not exist (404 when it is the URL, 422 when a field)."""

    status = 404


class Conflict(DomainError):
    """The operation conflicts with the current state (409)."""

    status = 409


class Duplicate(Conflict):
    """A code, email or NIK that must be unique already exists."""


class OutOfStock(Conflict):
    """Fewer kits are available than the operation needs."""

    def __init__(self, message, *, requested: int, available: int, field: str | None = None):
        super().__init__(message, field=field, requested=requested, available=available)
        self.requested = requested
        self.available = available
