"""What text kitlog stores: the one rule every form, API field and service applies.

Control characters are refused (NUL breaks PostgreSQL, and the others hide in names and
print as nothing); tab and line breaks are text, except in a value of one line, a name
or a place, which has none. A lone surrogate (JSON allows `\\ud800`) is refused too:
UTF-8 cannot store it. No Flask and no database here: models, services, forms and the
API schemas all import it.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")


def storable(text: str, *, one_line: bool = False) -> bool:
    """True when `text` may be stored: no control characters (with `one_line`, no tab or
    line break either) and nothing UTF-8 cannot encode."""
    if (_CONTROL_OR_BREAK if one_line else _CONTROL).search(text) is not None:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def squeeze(value: str) -> str:
    """Spaces trimmed and runs of white space made one space: how a name is stored."""
    return " ".join(value.split())


def cell_text(value: object) -> str:
    """What a form field, a JSON value or a spreadsheet cell says, as text: None is empty,
    and a whole number a spreadsheet stored as 4.0 is "4"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
