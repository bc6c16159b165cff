"""Turn marshmallow/webargs messages into the API's `errors` list, translated."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext as _l

# Marshmallow's and webargs' own messages, so that the catalog translates them.
_KNOWN = [
    _l("Missing data for required field."),
    _l("Unknown field."),
    _l("Field may not be null."),
    _l("Invalid input type."),
    _l("Not a valid string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Invalid value."),
    _l("This number of kits is out of range."),
    _l("Must be one of: {choices}."),
    _l("Shorter than minimum length {min}."),
    _l("Longer than maximum length {max}."),
    _l("Must be greater than or equal to {min}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
]


def _flatten(messages, prefix: str = ""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, name)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            for message in messages:
                yield prefix, message
        else:
            for item in messages:
                yield from _flatten(item, prefix)
    else:
        yield prefix, str(messages)


def validation_errors(messages) -> list[dict]:
    """webargs groups messages by location (json, query, files); the field is what counts."""
    errors = []
    for location, fields in (messages or {}).items():
        for name, message in _flatten(fields):
            errors.append(
                {"field": name or location, "location": location, "message": gettext(message)}
            )
    return errors
