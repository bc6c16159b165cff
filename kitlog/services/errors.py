"""Domain errors: named, translatable, and mapped to HTTP answers by the entry points."""

from __future__ import annotations

from flask_babel import LazyString


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    status = 422

    def __init__(self, message: str | LazyString, field: str | None = None, **extra: object):
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

    def __init__(
        self,
        message: str | LazyString,
        *,
        requested: int,
        available: int,
        field: str | None = None,
    ):
        super().__init__(message, field=field, requested=requested, available=available)
        self.requested = requested
        self.available = available


class FieldError:
    """One bad value: the field, what is wrong, and for a spreadsheet its line."""

    __slots__ = ("field", "message", "row", "suggestions")

    def __init__(
        self,
        field: str,
        message: str | LazyString,
        row: int | None = None,
        *,
        suggestions: list[dict[str, str | None]] | None = None,
    ):
        self.field = field
        self.message = message
        self.row = row
        # what the value may have meant (an official place: {code, name, level, parent})
        self.suggestions = suggestions or []

    def as_dict(self) -> dict[str, object]:
        answer: dict[str, object] = {"field": self.field, "message": str(self.message)}
        if self.row is not None:
            answer = {"row": self.row, **answer}
        if self.suggestions:
            answer["suggestions"] = self.suggestions
        return answer

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {str(self.message)!r}, row={self.row!r})"


class InvalidValues(InvalidValue):
    """Several values break rules at once (422); every one is listed."""

    def __init__(self, errors: list[FieldError], message: str | LazyString | None = None):
        from flask_babel import lazy_gettext

        super().__init__(
            message or lazy_gettext("Some values are not valid."),
            field=errors[0].field if len(errors) == 1 else None,
        )
        self.errors = errors


class PossibleDuplicate(Conflict):
    """Something very like this is already registered; the user may confirm it is not."""

    def __init__(self, message: str | LazyString, *, codes: list[str], field: str | None = None):
        super().__init__(message, field=field, possible_duplicates=codes)
        self.codes = codes
