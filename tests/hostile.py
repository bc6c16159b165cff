"""A compact corpus of hostile values, shared by the form and import tests.

Each kind of field gets the values that could break it: formula starts (CSV injection),
SQL and script text, template and format markers, a 100,000-character string, NUL, odd
digits and overflowing numbers, and a field sent twice.
"""

from __future__ import annotations

import re

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
