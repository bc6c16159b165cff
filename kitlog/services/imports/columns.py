"""The columns of an import file, in one place: their names and order, which are
required, how a header cell is matched to one, and what the template says about each.

The columns are the household's fields (`services.households.FIELDS`), in that order:
the header of the CSV template, the first row of the XLSX template, and the names a
file's header is matched against.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from kitlog.models import RELATIONS, VULNERABILITIES
from kitlog.services.households import FIELDS

COLUMNS = FIELDS
OPTIONAL_COLUMNS = ("phone", "vulnerabilities", "consent_date")
REQUIRED_COLUMNS = tuple(f for f in COLUMNS if f not in OPTIONAL_COLUMNS)
# Digits that Excel would turn into a number (and cut to 15 digits) unless the cells are Text.
TEXT_COLUMNS = ("nik", "phone")
RELATION_WORDS = RELATIONS
VULNERABILITY_WORDS = VULNERABILITIES


def column_key(name) -> str:
    """How a column name is matched: case, spaces, dashes and underscores do not count."""
    return re.sub(r"[\s_\-]+", "", str(name or "")).lower()


COLUMN_OF = {column_key(f): f for f in COLUMNS}

EXAMPLE_ROW = {
    "head_name": "Siti Rahayu",
    "worker_name": "Agus Santoso",
    "worker_relation": "spouse",
    "nik": "3507124501850001",
    "phone": "081234567890",
    "province": "Jawa Timur",
    "regency": "Kabupaten Malang",
    "district": "Turen",
    "village": "Sedayu",
    "members": 4,
    "vulnerabilities": "elderly;under5",
    "consent": "yes",
    "consent_date": "2020-12-07",
}


def column_instructions() -> list[tuple[str, str]]:
    """(column, what to write) in the current language, for every column in order."""
    required = gettext("Required.")
    optional = gettext("Optional.")
    what = {
        "head_name": gettext("The head of household's full name."),
        "worker_name": gettext("The migrant worker's full name."),
        "worker_relation": gettext(
            "How the migrant worker is related to the head of household: %(words)s.",
            words=", ".join(RELATION_WORDS),
        ),
        "nik": gettext(
            "The head of household's NIK: 16 digits. Keep this column formatted as"
            " Text, or Excel changes the last digits."
        ),
        "phone": gettext("An Indonesian phone number: 08…, +62… or 62…. Keep it as Text."),
        "province": gettext("One of the provinces listed below."),
        "regency": gettext("The regency or city (kabupaten/kota)."),
        "district": gettext("The district (kecamatan)."),
        "village": gettext("The village (desa/kelurahan)."),
        "members": gettext("People in the household: 1 to 50."),
        "vulnerabilities": gettext(
            "Any of %(words)s, separated by ; (for example elderly;under5).",
            words=", ".join(VULNERABILITY_WORDS),
        ),
        "consent": gettext("Consent to the use of the data: yes or no (ya or tidak)."),
        "consent_date": gettext(
            "When consent was given, as YYYY-MM-DD. Empty: the day of the import."
        ),
    }
    return [
        (name, f"{optional if name in OPTIONAL_COLUMNS else required} {what[name]}")
        for name in COLUMNS
    ]
