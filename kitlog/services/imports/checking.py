"""Checking a file's rows: each cleaned exactly as a household registered by hand, NIKs
repeated in the file or already registered found, every problem listed with its line.

Checking only reads the database; nothing is written until a file without a single
problem is imported (`inserting`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from kitlog.documents.spreadsheet_reader import Cell
from kitlog.models import Household
from kitlog.services.errors import FieldError, InvalidValues
from kitlog.services.households import clean_household_columns, clean_nik
from kitlog.services.imports.columns import COLUMNS
from kitlog.services.imports.reading import ImportFileError, Spreadsheet, open_spreadsheet
from kitlog.services.stock import Kits

MAX_ROWS = 100_000
PROGRESS_EVERY = 1_000
NIK_CHUNK = 1_000


# A good row: a Household's column values, cleaned as clean_household_columns cleans them.
Columns = dict[str, object]


def nik_of(columns: Mapping[str, object]) -> str:
    """A good row's NIK: clean_nik made it a text of 16 digits."""
    return cast(str, columns["nik"])


@dataclass
class CheckedFile:
    """What a file holds after every row was checked: the good rows, and every problem."""

    total_rows: int = 0
    rows: list[tuple[int, Columns]] = field(default_factory=list)  # (line, columns)
    errors: list[FieldError] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def good_rows(self) -> int:
        return len(self.rows)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


Progress = Callable[[int, int], None]  # (rows checked, rows expected)

_FIELD_ORDER = {f: i for i, f in enumerate((*COLUMNS, "status"))}

EXCEL_NUMBER_NIK = _l(
    "This NIK is a number cell ending in 0: Excel keeps only 15 digits of a number, so"
    " its last digit may be lost. Format the column as Text and type the NIK again."
)


def _excel_number(nik: Cell) -> bool:
    """A 16-digit whole number ending in 0 is what Excel leaves of a NIK typed as a number.

    Whole numbers written by other programs keep every digit and are accepted.
    """
    return isinstance(nik, int) and not isinstance(nik, bool) and nik % 10 == 0


def check_rows(
    session: Session,
    sheet: Spreadsheet,
    *,
    today: date,
    progress: Progress | None = None,
) -> CheckedFile:
    """Every row cleaned as a household registered by hand; every problem listed.

    A NIK repeated in the file is reported on each of its rows; a NIK already
    registered names the household that has it.
    """
    checked = CheckedFile(extra_columns=list(sheet.extra_columns))
    lines_of_nik: dict[str, list[int]] = defaultdict(list)
    records: list[tuple[int, dict[str, Cell]]] = []
    for record in sheet.records():  # read it all first: a file too long is refused at once
        records.append(record)
        if len(records) > MAX_ROWS:
            raise ImportFileError(
                _l(
                    "The file has more than %(max)s households. Split it into files of at"
                    " most %(max)s rows and import each one.",
                    max=Kits(MAX_ROWS),  # a number in the reader's locale
                )
            )
    total = checked.total_rows = len(records)
    if total == 0:
        raise ImportFileError(_l("The file has column names but no households under them."))
    if progress is not None:
        progress(0, total)
    good = checked.rows
    for start in range(0, total, PROGRESS_EVERY):
        for line, raw in records[start : start + PROGRESS_EVERY]:
            try:
                columns = clean_household_columns(raw, today=today, row=line)
            except InvalidValues as invalid:
                checked.errors.extend(invalid.errors)
                if not any(e.field == "nik" for e in invalid.errors):
                    lines_of_nik[clean_nik(raw.get("nik"))].append(line)
                continue
            lines_of_nik[nik_of(columns)].append(line)
            if _excel_number(raw.get("nik")):
                checked.errors.append(FieldError("nik", EXCEL_NUMBER_NIK, line))
            else:
                good.append((line, columns))
        if progress is not None and start + PROGRESS_EVERY <= total:
            progress(start + PROGRESS_EVERY, total)
    records.clear()
    duplicates: set[int] = set()
    for lines in lines_of_nik.values():
        if len(lines) > 1:
            for line in lines:
                others = ", ".join(str(other) for other in lines if other != line)
                checked.errors.append(
                    FieldError("nik", _l("The same NIK as row %(rows)s.", rows=others), line)
                )
                duplicates.add(line)
    registered = registered_niks(session, list(lines_of_nik))
    for nik, code in registered.items():
        for line in lines_of_nik[nik]:
            checked.errors.append(
                FieldError("nik", _l("Already registered as %(code)s.", code=code), line)
            )
            duplicates.add(line)
    if duplicates:
        checked.rows = [(line, columns) for line, columns in checked.rows if line not in duplicates]
    checked.errors.sort(key=lambda e: (e.row, _FIELD_ORDER.get(e.field, 99)))
    if progress is not None:
        progress(total, total)
    return checked


def registered_niks(session: Session, niks: list[str]) -> dict[str, str]:
    """{nik: household code} of those NIKs already registered (one query per 1,000)."""
    found: dict[str, str] = {}
    for start in range(0, len(niks), NIK_CHUNK):
        chunk = niks[start : start + NIK_CHUNK]
        found.update(
            session.execute(
                select(Household.nik, Household.code).where(Household.nik.in_(chunk))
            ).all()
        )
    return found


def check_spreadsheet(
    session: Session,
    content: bytes,
    filename: str,
    *,
    today: date,
    progress: Progress | None = None,
) -> CheckedFile:
    """Read and check a whole file; ImportFileError when it cannot be read at all."""
    return check_rows(session, open_spreadsheet(content, filename), today=today, progress=progress)
