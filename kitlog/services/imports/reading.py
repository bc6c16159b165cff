"""Reading an uploaded file (CSV or XLSX) up to its rows: the container, the encoding
and the header are checked, and every refusal says in the uploader's words what to do.

Reading an XLSX's bytes is `kitlog.documents.spreadsheet_reader`'s work (no Flask); this
module chooses the reader and turns its refusals into `ImportFileError`s.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import PurePath

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from kitlog.documents.spreadsheet_reader import (
    Cell,
    Limits,
    SpreadsheetError,
    check_container,
    read_xlsx,
)
from kitlog.services.errors import InvalidValue
from kitlog.services.imports.columns import (
    COLUMN_OF,
    COLUMNS,
    PLACE_NAME_COLUMNS,
    REQUIRED_COLUMNS,
    column_key,
)
from kitlog.services.stock import Kits

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# An XLSX is a zip: what its parts may grow to once unpacked (a zip bomb is refused).
MAX_UNPACKED_BYTES = 128 * 1024 * 1024


class ImportFileError(InvalidValue):
    """The file cannot be read as a spreadsheet of households (422): nothing was imported."""

    def __init__(self, message: str | LazyString) -> None:
        super().__init__(message, field="file")


# A file's rows, (spreadsheet line, cells): text from a CSV, typed values from an XLSX.
Rows = Iterator[tuple[int, Sequence[Cell]]]


# What reading a damaged file raises, deep inside the csv, zipfile or XML code.
_UNREADABLE = (
    csv.Error,
    zipfile.BadZipFile,
    KeyError,
    IndexError,
    ValueError,
    OverflowError,
    EOFError,
    OSError,
    zlib.error,
    NotImplementedError,  # zipfile: a compression method or zip version it does not know
    RuntimeError,  # zipfile: an encrypted part
)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


@dataclass
class Spreadsheet:
    """A readable file with a good header; its rows are read when `records()` is called."""

    kind: str  # "csv" or "xlsx"
    columns: dict[str, int]  # field -> position of its cell
    extra_columns: list[str]
    rows: Rows  # after the header

    def records(self) -> Iterator[tuple[int, dict[str, Cell]]]:
        """(line, {field: cell}) for every row that is not blank."""
        fields = tuple(self.columns)
        positions = tuple(self.columns.values())
        width = max(positions) + 1
        pick = (
            itemgetter(*positions) if len(positions) > 1 else lambda cells: (cells[positions[0]],)
        )
        try:
            for line, cells in self.rows:
                for cell in cells:  # skip a blank row (all(_blank(c) for c in cells), inline)
                    if cell is not None and (not isinstance(cell, str) or cell.strip()):
                        break
                else:
                    continue
                if len(cells) < width:
                    cells = [*cells, *([None] * (width - len(cells)))]
                yield line, dict(zip(fields, pick(cells), strict=True))
        except ImportFileError:
            raise
        except _UNREADABLE as e:
            raise ImportFileError(
                _l(
                    "The file is damaged and cannot be read to the end. Open it in your"
                    " spreadsheet program, save it again and upload the new copy."
                )
            ) from e


def _kind(filename: str, content: bytes) -> str:
    suffix = PurePath(filename or "").suffix.lower()
    is_zip = content[:4] == b"PK\x03\x04"
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            _l(
                "This is an old Excel file (.xls). In Excel choose File, Save As, Excel"
                " Workbook (.xlsx), then upload that file."
            )
        )
    if suffix in (".csv", ".txt"):
        if is_zip:
            raise ImportFileError(
                _l(
                    "This file is an Excel workbook (XLSX) but its name ends in .csv."
                    " Rename it to .xlsx, or in Excel save it as CSV UTF-8, then upload it again."
                )
            )
        return "csv"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == "" and is_zip:
        return "xlsx"
    if suffix == "" and b"\x00" not in content[:4096]:
        return "csv"
    raise ImportFileError(
        _l(
            "kitlog reads households from a CSV (UTF-8) or XLSX (Excel) file;"
            " this file is neither. Download the template and fill it in."
        )
    )


def precheck_spreadsheet(content: bytes, filename: str) -> None:
    """What an upload can be refused for at once (ImportFileError): a CSV's encoding and
    header; for an XLSX, its container only, since reading its header means reading the
    whole sheet, which the check (in the background) does once."""
    kind = _checked_kind(content, filename)
    if kind == "csv":
        _with_header(kind, _csv_rows(content))
        return
    _xlsx_magic(content)
    try:
        check_container(content)
    except SpreadsheetError as error:
        raise _refusal(error) from error


def _checked_kind(content: bytes, filename: str) -> str:
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            _l(
                "The file is larger than %(mb)s MB. Split it into smaller files and import"
                " each one.",
                mb=MAX_UPLOAD_BYTES // (1024 * 1024),
            )
        )
    if not content.strip():
        raise ImportFileError(_l("The file is empty."))
    return _kind(filename, content)


def open_spreadsheet(content: bytes, filename: str) -> Spreadsheet:
    """The file's header checked and its rows ready to read; ImportFileError saying why not."""
    kind = _checked_kind(content, filename)
    rows = _csv_rows(content) if kind == "csv" else _xlsx_rows(content)
    return _with_header(kind, rows)


def _with_header(kind: str, rows: Rows) -> Spreadsheet:
    header = None
    try:
        for line, cells in rows:
            if not all(_blank(c) for c in cells):
                header = (line, cells)
                break
    except _UNREADABLE as e:
        raise ImportFileError(
            _l("The file is damaged and cannot be read. Save it again and upload the new copy.")
        ) from e
    if header is None:
        raise ImportFileError(_l("The file is empty."))
    line, cells = header
    columns: dict[str, int] = {}
    extra: list[str] = []
    for position, cell in enumerate(cells):
        if _blank(cell):
            continue
        name = str(cell).strip()
        found = COLUMN_OF.get(column_key(name))
        if found is None:
            extra.append(name[:60])
        elif found in columns:
            raise ImportFileError(
                _l("The column %(column)s appears more than once. Keep one.", column=found)
            )
        else:
            columns[found] = position
    missing = [f for f in REQUIRED_COLUMNS if f not in columns]
    if "village_code" not in columns:  # the places by code, or else by their four names
        missing += [f for f in PLACE_NAME_COLUMNS if f not in columns]
    if missing:
        if not columns:
            raise ImportFileError(
                _l(
                    "The first row must hold the column names (%(columns)s); this file's"
                    " first row holds none of them. Download the template to see them.",
                    columns=", ".join(COLUMNS),
                )
            )
        raise ImportFileError(
            _l(
                "These columns are missing: %(columns)s. Download the template to see"
                " every column (a file may give village_code instead of province,"
                " regency, district and village).",
                columns=", ".join(missing),
            )
        )
    return Spreadsheet(kind, columns, extra, rows)


# CSV ---------------------------------------------------------------------------------------


def _csv_rows(content: bytes) -> Rows:
    if content[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in content[:4096]:
        raise ImportFileError(
            _l(
                "This CSV file is saved as UTF-16 (Unicode text). In Excel choose File,"
                " Save As, CSV UTF-8 (comma delimited), then upload that file."
            )
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise ImportFileError(
            _l(
                "This CSV file is not saved as UTF-8: line %(line)s holds characters in"
                " another encoding (such as Windows-1252). In Excel choose File, Save As,"
                " CSV UTF-8 (comma delimited), then upload that file.",
                line=line,
            )
        ) from None
    if "\x00" in text:
        raise ImportFileError(_l("This file is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    # Excel in Indonesian writes `;` between cells (the comma is the decimal mark there).
    delimiter = max((",", ";", "\t"), key=lambda d: (first_line.count(d), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return enumerate(reader, start=1)


# XLSX --------------------------------------------------------------------------------------

# Why kitlog.documents.spreadsheet_reader refused a workbook, in the uploader's words.
_REFUSALS: dict[str, Callable[..., LazyString]] = {
    "damaged": lambda: _l(
        "This XLSX file is damaged and cannot be opened. Open it in Excel, save"
        " it again, and upload the new copy."
    ),
    "not_workbook": lambda: _l(
        "This zip file is not an Excel workbook. Upload the households as"
        " CSV (UTF-8) or XLSX (Excel)."
    ),
    "no_sheet": lambda: _l("The workbook has no sheet with households."),
    "too_large_unpacked": lambda mb: _l(
        "The workbook is too large once unpacked. Split it into smaller files."
    ),
    "too_many_columns": lambda columns: _l(
        "The sheet has cells beyond column %(columns)s. Delete the columns that are not"
        " household fields, or copy the households to a new sheet, and upload it again.",
        columns=Kits(columns),
    ),
    "too_many_cells": lambda cells, rows=0, columns=0: _l(
        "The sheet's cells spread over more than %(cells)s cells (from A1 to its last row"
        " and column). Delete the cells outside the households, or split the file.",
        cells=Kits(cells),
    ),
    "too_slow": lambda seconds: _l(
        "Reading the file took longer than %(seconds)s seconds and was stopped. Split it"
        " into smaller files.",
        seconds=Kits(int(seconds)),
    ),
}
READ_LIMITS = Limits(unpacked_bytes=MAX_UNPACKED_BYTES)


def _refusal(error: SpreadsheetError) -> ImportFileError:
    """The reader's refusal as a message in the uploader's language."""
    if error.reason not in _REFUSALS:
        return ImportFileError(_REFUSALS["damaged"]())
    return ImportFileError(_REFUSALS[error.reason](**error.params))


def _xlsx_magic(content: bytes) -> None:
    if content[:4] != b"PK\x03\x04":
        raise ImportFileError(
            _l(
                "This file's name ends in .xlsx but it is not an Excel workbook. Open it in"
                " Excel and save it as Excel Workbook (.xlsx), or upload a CSV UTF-8 file."
            )
        )


def _xlsx_rows(content: bytes) -> Rows:
    _xlsx_magic(content)
    try:
        rows = read_xlsx(content, READ_LIMITS)
    except SpreadsheetError as error:
        raise _refusal(error) from error
    return _refused_as_import_errors(rows)


def _refused_as_import_errors(rows: Rows) -> Rows:
    try:
        yield from rows
    except SpreadsheetError as error:
        raise _refusal(error) from error
