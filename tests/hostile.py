"""A compact corpus of hostile values, shared by the form and import tests.

Each kind of field gets the values that could break it: formula starts (CSV injection),
SQL and script text, template and format markers, a 100,000-character string, NUL, odd
digits and overflowing numbers, and a field sent twice.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

HUGE = "x" * 100_000


class Twice:
    """The same field sent twice: this value, then the valid one."""

    def __init__(self, value: str):
        self.value = value

    def __repr__(self):
        return f"Twice({self.value!r})"


SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "\t=1"]
SQL = ["' OR 1=1 --", "'; DROP TABLE households; --"]

TEXT = [
    *FORMULAS,
    *SQL,
    SCRIPT,
    IMG,
    "{{7*7}}",
    "%s%n",
    HUGE,
    "\x00",
    "a\x00b",
    "",
    Twice(SCRIPT),
]
NUMBER = [
    "١٢٣",
    "1e309",
    "-0",
    "NaN",
    "99999999999999999999",
    "-2",
    "+1+1",
    "=1+1",
    "",
    "\x00",
    HUGE,
    SCRIPT,
    Twice("-1"),
]
CHOICE = ["' OR 1=1 --", "99999999999999999999", "-1", "١", "", "\x00", SCRIPT, HUGE, Twice("-1")]
DATE = ["2020-13-45", "9999-12-31", "0001-01-01", "١٢٣", "\x00", "' OR 1=1 --", "", HUGE]
FLAG = [SCRIPT, "\x00", HUGE]
CSRF = ["", HUGE]

CORPUS = {"text": TEXT, "number": NUMBER, "choice": CHOICE, "date": DATE, "flag": FLAG}

# The form sweep's share of the corpus (every value goes into every field of its kind at
# once; the formula starts all behave alike in a form and are followed into the exports
# by their own tests), and the values each field also gets alone.
SWEEP = {
    "text": [FORMULAS[0], SQL[1], SCRIPT, "{{7*7}}", HUGE, "\x00", "", Twice(SCRIPT)],
    "number": ["١٢٣", "1e309", "NaN", "99999999999999999999", "", "\x00", HUGE, Twice("-1")],
    "choice": ["' OR 1=1 --", "99999999999999999999", "", "\x00", HUGE, Twice("-1")],
    "date": ["2020-13-45", "9999-12-31", "' OR 1=1 --", "", HUGE],
    "flag": FLAG,
}
ALONE = {
    "text": ["a\x00b"],
    "number": ["99999999999999999999"],
    "choice": [],
    "date": ["9999-12-31"],
    "flag": [],
}

# Bytes no UTF-8 decoder accepts: stray bytes (raw), a lone surrogate (percent-encoded).
BAD_BYTES = [b"\xff\xfe", b"%ED%A0%80"]

# What must never reach a page unescaped.
RAW_MARKUP = re.compile(r"<script>alert\(1\)|<img src=x onerror", re.I)


def short(value) -> str:
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:24]}..{len(text)}"


# -- stored markup: planted in the database, it must come back as text -------------------------

# What an attacker stores to take over an administrator's page (CSP stops scripts, not this).
META = '<meta http-equiv="refresh" content="0;url=http://evil.example/">'
BOLD = "<b>x</b>"


def planted(tag: str, limit: int | None) -> str:
    """A stored value that names its column (tag) and carries markup, within the column's size."""
    value = f"{tag}{META}{BOLD}"
    return value if limit is None or len(value) <= limit else f"{tag}{BOLD}"


class _Page(HTMLParser):
    """The elements, text and attribute values of a page, as a browser parses them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.planted_elements: list[str] = []
        self.texts: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        planted_meta = tag == "meta" and "evil.example" in (dict(attrs).get("content") or "")
        if tag == "b" or planted_meta:
            self.planted_elements.append(self.get_starttag_text() or tag)
        self.attributes += [value for _name, value in attrs if value]

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        self.texts.append(data)


class ParsedPage:
    """A page parsed by the standard library's HTML parser: what became an element, and
    what stayed text (in a text node or an attribute, such as an option group's label)."""

    def __init__(self, html: str):
        parser = _Page()
        parser.feed(html)
        parser.close()
        self.planted_elements = parser.planted_elements
        self.text = "".join(parser.texts)
        self.attributes = parser.attributes

    def shows(self, value: str) -> bool:
        """The value is on the page as text: in a text node or whole in an attribute."""
        return value in self.text or any(value in attribute for attribute in self.attributes)
