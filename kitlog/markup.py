"""Text from the database is text: nothing kitlog translates or stores becomes markup.

flask_babel's lazy strings declare ``__html__``, so Jinja, WTForms (labels, options,
option groups, descriptions) and Flask's session (flash messages) took a lazy string,
and every stored value interpolated into it (``_l("Printer %(name)s", name=...)``), as
safe HTML. kitlog's messages hold no markup, so lazy strings lose ``__html__`` here, once,
for every module: they are escaped like any other ``str`` wherever they are shown.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider
from flask_babel.speaklater import LazyString


def lazy_strings_are_text() -> None:
    """A lazy string is escaped like a str, never trusted as markup (idempotent)."""
    if "__html__" in LazyString.__dict__:
        del LazyString.__html__


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, plus lazy strings as their text (Flask read them through __html__)."""

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, LazyString):
            return str(o)
        return DefaultJSONProvider.default(o)


lazy_strings_are_text()
