"""An aggregate's fields, declared once: a dataclass whose fields carry a `FieldSpec`.

The dataclass of an aggregate's clean values (`households.HouseholdValues`,
`distribution.RoundValues`) is the one list of its fields, in order. Each field's
metadata says what else kitlog needs to know of it: how it is cleaned, its limit, how it
is stored, its column in a spreadsheet import and in the personal-data export. The
cleaning loop, the stored columns, the import's columns, the export's columns and the
tests that hold the forms and the API schemas to the same list are derived from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SPEC = "kitlog.spec"


@dataclass(frozen=True)
class FieldSpec:
    """What kitlog knows of one field besides its name and type.

    `clean` turns what a form, the API or a spreadsheet cell says into the stored value,
    or raises; with `needs`, it is called as `clean(value, clean_so_far, today)` and
    skipped when one of the fields it needs was refused. `columns` turns the clean value
    into the table's columns (default: one column of the field's name).
    """

    label: Any = ""  # a person's name for the field: the export's column header
    clean: Callable[..., Any] | None = None
    needs: tuple[str, ...] | None = None
    max_length: int | None = None
    columns: Callable[[Any], dict[str, Any]] | None = None
    tag: str = ""  # the export column's HXL hashtag
    import_column: bool = True  # a column of the spreadsheet import
    required: bool = True  # ... that the file must have
    text_column: bool = False  # ... formatted as text in the template (digits kept)
    example: Any = None  # ... in the template's example row
    hint: Any = ""  # ... what to write in it, for the template's instructions
    draft_only: bool = False  # a round's value that changes only while it is a draft


def spec(*, default: Any = dataclasses.MISSING, **meta: Any) -> Any:
    """A dataclass field carrying its FieldSpec (and a default, when it has one)."""
    return dataclasses.field(default=default, metadata={_SPEC: FieldSpec(**meta)})


def specs(values_class: type) -> tuple[tuple[str, FieldSpec], ...]:
    """(name, FieldSpec) of every field of the class, in order."""
    return tuple(
        (field.name, field.metadata[_SPEC])
        for field in dataclasses.fields(values_class)
        if _SPEC in field.metadata
    )
