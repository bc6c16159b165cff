"""Turn marshmallow/webargs messages into the API's `errors` list, translated."""

from __future__ import annotations

import re

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802 - the conventional name that pybabel extracts
    """Mark a message for the catalog without translating it here."""
    return message


# Marshmallow's, webargs' and kitlog's schema messages, so that the catalog translates them.
# marshmallow fills the {placeholders} in before kitlog sees a message; _translate
# matches the filled message back to its template.
_KNOWN = [
    N_("Missing data for required field."),
    N_("Unknown field."),
    N_("Field may not be null."),
    N_("Invalid input type."),
    N_("Invalid JSON body."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Invalid value."),
    N_("This number of kits is out of range."),
    N_("Nothing is known by this id."),
    N_("Must be one of: {choices}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
]

# Where a message concerns the whole body or query rather than one field.
_WHOLE = {"json": "body", "query": "query", "querystring": "query", "view_args": "path"}


def _flatten(messages, prefix: str = ""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
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


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        + r"\Z"
    )


# Longest first: "... {min} and less than or equal to {max}." before "... {min}."
_TEMPLATES = [(_pattern(t), t) for t in sorted(_KNOWN, key=len, reverse=True) if "{" in t]


def _translate(message: str) -> str:
    """The message in the request's language, its {placeholders} filled in again."""
    for pattern, template in _TEMPLATES:
        match = pattern.match(message)
        if match:
            try:
                return gettext(template).format(**match.groupdict())
            except (KeyError, IndexError, ValueError):  # a translation that lost a {name}
                return message
    return gettext(message)


def validation_errors(messages) -> list[dict]:
    """webargs groups messages by location (json, query, files); the field is what counts."""
    errors = []
    for location, fields in (messages or {}).items():
        for name, message in _flatten(fields):
            errors.append(
                {
                    "field": name or _WHOLE.get(location, location),
                    "location": location,
                    "message": _translate(message),
                }
            )
    return errors
