"""How a document's words reach it in the reader's language.

Every builder writes its own words in English, as msgids (`_("Totals")`), and takes the
caller's `gettext` to translate them: `gettext=` for the spreadsheets and the manifest,
`Formats.gettext` for the donor report, which takes its number and date formats with it.
The display names of stored codes (a loss reason the system wrote, a status) come the same
way, as a callable (`reason=`), or already translated inside the data. The documents import
no Flask: without a `gettext` they print English.
"""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def untranslated(text: str) -> str:
    """English: the msgid as it is."""
    return text
