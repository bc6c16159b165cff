"""The columns of an import file, in one place: their names and order, which are
required, how a header cell is matched to one, and what the template says about each.

Every column is a household field declared in `services.households.HouseholdValues`
(`IMPORT_FIELDS`, in that order): the header of the CSV template, the first row of the
XLSX template, and the names a file's header is matched against. Whether a column is
required, kept as Text, its example and its instruction come from the field's spec.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from kitlog.models import RELATIONS, VULNERABILITIES
from kitlog.services.households import FIELDS, IMPORT_FIELDS

COLUMNS = FIELDS
OPTIONAL_COLUMNS = tuple(name for name, field in IMPORT_FIELDS if not field.required)
REQUIRED_COLUMNS = tuple(name for name, field in IMPORT_FIELDS if field.required)
# Required unless the file has a village_code column.
PLACE_NAME_COLUMNS = ("province", "regency", "district", "village")
# Digits that Excel would turn into a number (and cut to 15 digits) unless the cells are Text.
TEXT_COLUMNS = tuple(name for name, field in IMPORT_FIELDS if field.text_column)
RELATION_WORDS = RELATIONS
VULNERABILITY_WORDS = VULNERABILITIES


def column_key(name: object) -> str:
    """How a column name is matched: case, spaces, dashes and underscores do not count."""
    return re.sub(r"[\s_\-]+", "", str(name or "")).lower()


COLUMN_OF = {column_key(f): f for f in COLUMNS}

EXAMPLE_ROW = {name: field.example for name, field in IMPORT_FIELDS}


def column_instructions() -> list[tuple[str, str]]:
    """(column, what to write) in the current language, for every column in order."""
    required = gettext("Required.")
    optional = gettext("Optional.")
    return [
        (name, f"{required if field.required else optional} {field.hint}")
        for name, field in IMPORT_FIELDS
    ]
