"""Importing households from a spreadsheet (CSV or XLSX): all of it, or none of it.

A file is read in one pass (`open_spreadsheet` checks the container, the encoding and
the header; `check_rows` cleans every row exactly as a household registered by hand,
finds NIKs repeated in the file or already registered, and lists every problem with
its spreadsheet line). Only a file without a single problem is imported:
`import_households` takes the write lock, checks the registry again, draws the codes
once and inserts the rows in bulk, in one transaction (rule 7 of docs/design.md).

An upload from the pages is a `HouseholdImport` job whose state lives in the database,
so that any worker can show its progress; the functions at the end move a job along.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import itemgetter
from pathlib import PurePath

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kitlog.documents.spreadsheet_reader import (
    Limits,
    SpreadsheetError,
    check_container,
    read_xlsx,
)
from kitlog.models import (
    RELATIONS,
    VULNERABILITIES,
    Household,
    HouseholdImport,
    ImportStatus,
    User,
)
from kitlog.models.base import as_utc, utcnow
from kitlog.services.errors import (
    Conflict,
    DomainError,
    FieldError,
    InvalidValue,
    InvalidValues,
    NotFound,
)
from kitlog.services.households import (
    FIELDS,
    PROVINCE_NAMES,
    clean_household_columns,
    clean_nik,
    household_codes,
)
from kitlog.services.locking import HeldLock, begin_write
from kitlog.services.stock import Kits

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
# An XLSX is a zip: what its parts may grow to once unpacked (a zip bomb is refused).
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
PROGRESS_EVERY = 1_000
NIK_CHUNK = 1_000
INSERT_CHUNK = 5_000
# A job with no news for this long was left by a worker that stopped (a restart, a kill).
STALE_AFTER = timedelta(minutes=2)

OPTIONAL_COLUMNS = ("phone", "vulnerabilities", "consent_date")
REQUIRED_COLUMNS = tuple(f for f in FIELDS if f not in OPTIONAL_COLUMNS)
RELATION_WORDS = RELATIONS
VULNERABILITY_WORDS = VULNERABILITIES

WORKING = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
CANCELLABLE = (ImportStatus.READY, ImportStatus.INVALID)


MAX_CHECKS_PER_PROCESS = 2  # files read and checked at once by one worker process


class ImportBusy(DomainError):
    """An import of this user's is being checked, or this worker checks as many as it may
    (429): nothing was read, try again in a moment."""

    status = 429


class CheckSlot:
    """A claim on one of the worker's checks and on the user's one check across every
    worker (HeldLock); released once, whoever releases it."""

    _lock = threading.Lock()
    _users: set[int] = set()

    def __init__(self, user_id: int, held: HeldLock | None = None):
        self.user_id = user_id
        self._held = held
        self._released = False

    @classmethod
    def claim(cls, user_id: int, session: Session | None = None) -> CheckSlot:
        with cls._lock:
            if user_id in cls._users:
                raise ImportBusy(BUSY_USER)
            if len(cls._users) >= MAX_CHECKS_PER_PROCESS:
                raise ImportBusy(
                    _l(
                        "The server is already checking %(count)s imports. Try again in a"
                        " minute: nothing was imported.",
                        count=MAX_CHECKS_PER_PROCESS,
                    )
                )
            cls._users.add(user_id)
        slot = cls(user_id)
        if session is not None:
            try:
                slot._held = HeldLock.try_take(session, IMPORT_CHECK_LOCK, user_id)
            except BaseException:
                slot.release()
                raise
            if slot._held is None:  # another worker is checking a file of this user's
                slot.release()
                raise ImportBusy(BUSY_USER)
        return slot

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
            self._users.discard(self.user_id)
        if self._held is not None:
            self._held.release()

    def __enter__(self) -> CheckSlot:
        return self

    def __exit__(self, *_exc) -> None:
        self.release()


# The HeldLock scope of "a file of this user's is being checked" (the key is the user's id).
IMPORT_CHECK_LOCK = 0x6B6C_0001


BUSY_USER = _l(
    "An import of yours is already being checked. Wait until it is finished, then upload"
    " the next file: nothing was imported."
)


def claim_check(session: Session, user: User, *, now: datetime | None = None) -> CheckSlot:
    """One file checked at a time per user, in every worker and on every server (the pages'
    jobs in the database, and a HeldLock for the API's checks and the pages'), and at most
    MAX_CHECKS_PER_PROCESS per worker; ImportBusy otherwise. Release the slot when the
    check ends."""
    checking = session.scalars(
        select(HouseholdImport).where(
            HouseholdImport.user_id == user.id,
            HouseholdImport.status == ImportStatus.VALIDATING,
        )
    ).all()
    if any(not is_interrupted(job, now=now) for job in checking):
        raise ImportBusy(BUSY_USER)
    return CheckSlot.claim(user.id, session)


class ImportFileError(InvalidValue):
    """The file cannot be read as a spreadsheet of households (422): nothing was imported."""

    def __init__(self, message):
        super().__init__(message, field="file")


# -- reading the file ----------------------------------------------------------------------


def _header_key(name) -> str:
    """How a column name is matched: case, spaces, dashes and underscores do not count."""
    return re.sub(r"[\s_\-]+", "", str(name or "")).lower()


_FIELD_OF = {_header_key(f): f for f in FIELDS}


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


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


@dataclass
class Spreadsheet:
    """A readable file with a good header; its rows are read when `records()` is called."""

    kind: str  # "csv" or "xlsx"
    columns: dict[str, int]  # field -> position of its cell
    extra_columns: list[str]
    rows: Iterator[tuple[int, list]]  # (spreadsheet line, cells) after the header

    def records(self) -> Iterator[tuple[int, dict]]:
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


def _with_header(kind: str, rows: Iterator[tuple[int, list]]) -> Spreadsheet:
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
        found = _FIELD_OF.get(_header_key(name))
        if found is None:
            extra.append(name[:60])
        elif found in columns:
            raise ImportFileError(
                _l("The column %(column)s appears more than once. Keep one.", column=found)
            )
        else:
            columns[found] = position
    missing = [f for f in REQUIRED_COLUMNS if f not in columns]
    if missing:
        if not columns:
            raise ImportFileError(
                _l(
                    "The first row must hold the column names (%(columns)s); this file's"
                    " first row holds none of them. Download the template to see them.",
                    columns=", ".join(FIELDS),
                )
            )
        raise ImportFileError(
            _l(
                "These columns are missing: %(columns)s. Download the template to see"
                " every column.",
                columns=", ".join(missing),
            )
        )
    return Spreadsheet(kind, columns, extra, rows)


# CSV ---------------------------------------------------------------------------------------


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
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
_REFUSALS: dict[str, Callable[..., object]] = {
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


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    _xlsx_magic(content)
    try:
        rows = read_xlsx(content, READ_LIMITS)
    except SpreadsheetError as error:
        raise _refusal(error) from error
    return _refused_as_import_errors(rows)


def _refused_as_import_errors(rows: Iterator[tuple[int, list]]) -> Iterator[tuple[int, list]]:
    try:
        yield from rows
    except SpreadsheetError as error:
        raise _refusal(error) from error


# -- checking the rows ---------------------------------------------------------------------


@dataclass
class CheckedFile:
    """What a file holds after every row was checked: the good rows, and every problem."""

    total_rows: int = 0
    rows: list[tuple[int, dict]] = field(default_factory=list)  # (line, Household columns)
    errors: list[FieldError] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)

    @property
    def good_rows(self) -> int:
        return len(self.rows)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


Progress = Callable[[int, int], None]  # (rows checked, rows expected)

_FIELD_ORDER = {f: i for i, f in enumerate((*FIELDS, "status"))}

EXCEL_NUMBER_NIK = _l(
    "This NIK is a number cell ending in 0: Excel keeps only 15 digits of a number, so"
    " its last digit may be lost. Format the column as Text and type the NIK again."
)


def _excel_number(nik) -> bool:
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
    records = []
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
            lines_of_nik[columns["nik"]].append(line)
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


# -- importing -------------------------------------------------------------------------------


def import_households(
    session: Session,
    checked: CheckedFile,
    *,
    user: User | None,
    now: datetime | None = None,
    job: HouseholdImport | None = None,
    progress: Progress | None = None,
) -> int:
    """Insert every row of a file without problems, in bulk, in one transaction.

    Under the write lock the registry is checked again (someone may have registered one
    of these NIKs since the file was checked); the unique NIK in the database is the
    last guard. With a job, the job is marked done in the same transaction, last: a job
    stopped meanwhile (cancelled, anonymised) matches no row and nothing is imported.
    Until then the job's row is not locked, so `progress` (rows inserted, rows to insert,
    after every chunk) can be written by another connection on PostgreSQL.
    """
    if checked.errors:
        raise InvalidValues(checked.errors, _l("Some rows are not valid: nothing was imported."))
    if not checked.rows:
        raise ImportFileError(_l("The file has column names but no households under them."))
    now = now or utcnow()
    total = len(checked.rows)
    begin_write(session)
    codes = household_codes(session, total)
    registered = registered_niks(session, [columns["nik"] for _line, columns in checked.rows])
    if registered:
        lines = {columns["nik"]: line for line, columns in checked.rows}
        raise InvalidValues(
            [
                FieldError("nik", _l("Already registered as %(code)s.", code=code), lines[nik])
                for nik, code in sorted(registered.items(), key=lambda item: lines[item[0]])
            ],
            _l("Some rows are not valid: nothing was imported."),
        )
    common = {
        "import_id": job.id if job is not None else None,
        "created_by_id": user.id if user is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    try:
        _bulk_insert(session, checked.rows, codes, common, progress)
    except IntegrityError:
        # A household with one of these NIKs was registered between the check and the insert.
        raise Conflict(
            _l(
                "A household with one of these NIKs was registered while the file was being"
                " imported: nothing was imported. Upload the file again to see which."
            ),
            field="nik",
        ) from None
    if job is not None:
        taken = session.execute(
            update(HouseholdImport)
            .where(HouseholdImport.id == job.id, HouseholdImport.status == ImportStatus.IMPORTING)
            .values(
                status=ImportStatus.DONE,
                imported_rows=total,
                good_rows=total,
                total_rows=checked.total_rows,
                processed_rows=checked.total_rows,
                content=None,
                errors="[]",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            raise Conflict(_l("This import was stopped or already imported: nothing was imported."))
        session.expire(job)
    return total


def _bulk_insert(
    session: Session,
    rows: list[tuple[int, dict]],
    codes: list[str],
    common: dict,
    progress: Progress | None,
) -> None:
    """INSERT the rows in chunks of INSERT_CHUNK; the values are complete and clean.

    Below the ORM and SQLAlchemy's per-row parameter processing: tuples straight to the
    driver. PostgreSQL takes them with COPY (psycopg adapts dates, times and booleans
    itself); SQLite with executemany, the values that need it (dates) converted by the
    column types' own bind processors, so they are stored exactly as the ORM stores them.
    """
    table = Household.__table__
    names = [*rows[0][1], *common, "code"]
    # The names are the table's own columns, never anything read from the file.
    if not set(names) <= set(table.c.keys()):
        raise ValueError(f"not columns of {table.name}: {set(names) - set(table.c.keys())}")
    connection = session.connection()
    dialect = connection.dialect
    file_columns = names[: len(rows[0][1])]
    processors = {}
    for name in names:
        column_type = table.c[name].type
        processor = (
            None
            if isinstance(column_type, Boolean)
            else column_type.dialect_impl(dialect).bind_processor(dialect)
        )
        if processor is not None:
            processors[name] = processor
    # The same for every row: processed once.
    shared = tuple(
        processors[name](value) if name in processors else value for name, value in common.items()
    )
    row_processors = [
        (i, processors[name]) for i, name in enumerate(file_columns) if name in processors
    ]
    total = len(rows)
    pick = itemgetter(*file_columns)

    def chunks() -> Iterator[list[tuple]]:
        for start in range(0, total, INSERT_CHUNK):
            chunk = []
            for (_line, columns), code in zip(
                rows[start : start + INSERT_CHUNK], codes[start : start + INSERT_CHUNK], strict=True
            ):
                values = list(pick(columns))
                for i, processor in row_processors:
                    values[i] = processor(values[i])
                chunk.append((*values, *shared, code))
            yield chunk

    if progress is not None:
        progress(0, total)
    done = 0
    if dialect.name == "postgresql":
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        driver = connection.connection.driver_connection
        try:
            with driver.cursor() as cursor, cursor.copy(sql) as copy:
                for chunk in chunks():
                    for values in chunk:
                        copy.write_row(values)
                    done += len(chunk)
                    if progress is not None and done < total:
                        progress(done, total)
        except dialect.loaded_dbapi.IntegrityError as error:
            raise IntegrityError(sql, None, error) from error
    else:
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)})"  # noqa: S608 - see above
            f" VALUES ({', '.join('?' * len(names))})"
        )
        for chunk in chunks():
            connection.exec_driver_sql(sql, chunk)
            done += len(chunk)
            if progress is not None and done < total:
                progress(done, total)
    if progress is not None:
        progress(total, total)


def import_spreadsheet(
    session: Session,
    content: bytes,
    filename: str,
    *,
    user: User | None,
    today: date,
    now: datetime | None = None,
    dry_run: bool = False,
) -> CheckedFile:
    """Check a file and import all of it (the API); a dry run only checks it."""
    checked = check_spreadsheet(session, content, filename, today=today)
    if dry_run:
        return checked
    if checked.errors:
        raise InvalidValues(checked.errors, _l("Some rows are not valid: nothing was imported."))
    import_households(session, checked, user=user, now=now)
    return checked


# -- import jobs (the pages) -----------------------------------------------------------------


def _render(message, language: str) -> str:
    """A lazy message in the uploader's language (work done away from any request)."""
    with force_locale(language):
        return str(message)


def _rendered_errors(errors: list[FieldError], language: str) -> str:
    with force_locale(language):
        return json.dumps([e.as_dict() for e in errors], ensure_ascii=False)


def _warnings(checked: CheckedFile, language: str) -> str:
    if not checked.extra_columns:
        return ""
    return _render(
        _l(
            "These columns are not household fields and were ignored: %(columns)s.",
            columns=", ".join(checked.extra_columns),
        ),
        language,
    )


def create_import(
    session: Session,
    *,
    filename: str,
    content: bytes,
    user: User,
    language: str,
    now: datetime | None = None,
) -> HouseholdImport:
    """Keep an upload whose header is good; its rows are checked next (check_import)."""
    precheck_spreadsheet(content, filename)  # a file refused at once never becomes a job
    now = now or utcnow()
    job = HouseholdImport(
        filename=PurePath(filename or "households").name[:255] or "households",
        content=content,
        status=ImportStatus.VALIDATING,
        language=language,
        user=user,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job


def check_import(
    session: Session, job: HouseholdImport, *, today: date, progress: Progress | None = None
) -> CheckedFile | ImportFileError:
    """Read and check a job's file (reads only): what it holds, or why it cannot be read."""
    if job.status != ImportStatus.VALIDATING or job.content is None:
        raise Conflict(_l("This import is not waiting to be checked."))
    try:
        return check_spreadsheet(session, job.content, job.filename, today=today, progress=progress)
    except ImportFileError as error:
        return error


def record_check(
    session: Session, job: HouseholdImport, result: CheckedFile | ImportFileError
) -> HouseholdImport:
    """A checked job is ready to import, invalid (every problem listed) or failed."""
    job.updated_at = utcnow()
    if isinstance(result, ImportFileError):
        job.status = ImportStatus.FAILED
        job.message = _render(
            _l("Nothing was imported. %(reason)s", reason=result.message), job.language
        )
        job.content = None
        session.flush()
        return job
    job.total_rows = job.processed_rows = result.total_rows
    job.good_rows = result.good_rows
    job.errors = _rendered_errors(result.errors, job.language)
    job.message = _warnings(result, job.language)
    if result.errors:
        job.status = ImportStatus.INVALID
        job.content = None  # it can never be imported: keep no personal data
    else:
        job.status = ImportStatus.READY
        job.content = pack_checked(result)  # the checked rows, not the file: no second read
    session.flush()
    return job


def begin_import(session: Session, job: HouseholdImport, *, now: datetime | None = None) -> None:
    """The uploader confirmed: the job moves from ready to importing (once, whoever asks)."""
    now = now or utcnow()
    moved = session.execute(
        update(HouseholdImport)
        .where(HouseholdImport.id == job.id, HouseholdImport.status == ImportStatus.READY)
        .values(status=ImportStatus.IMPORTING, processed_rows=0, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise Conflict(_l("This import is not waiting for confirmation any more."))
    session.expire(job)


def recheck_import(
    session: Session, job: HouseholdImport, *, today: date, progress: Progress | None = None
) -> CheckedFile:
    """The confirmed job's rows as they were checked (what record_check kept), ready to
    import; a job kept as the uploaded file (before kitlog kept checked rows) is read and
    checked again. What may have changed since the check, a NIK registered meanwhile, is
    checked again by import_households under the write lock."""
    if job.status != ImportStatus.IMPORTING or job.content is None:
        raise Conflict(_l("This import is not waiting to be imported."))
    checked = unpack_checked(job.content)
    if checked is None:
        return check_spreadsheet(session, job.content, job.filename, today=today, progress=progress)
    if progress is not None:
        progress(checked.total_rows, checked.total_rows)
    return checked


_PACKED = b"kitlog-checked-rows/1\n"


def pack_checked(checked: CheckedFile) -> bytes:
    """A checked file's good rows (and its row count) as compressed JSON; dates as ISO
    text, named so that unpack_checked gives them back as dates."""
    dates = sorted(
        {key for _line, columns in checked.rows for key, v in columns.items() if _is_date(v)}
    )
    rows = [
        [line, {key: v.isoformat() if _is_date(v) else v for key, v in columns.items()}]
        for line, columns in checked.rows
    ]
    payload = {"total_rows": checked.total_rows, "dates": dates, "rows": rows}
    return _PACKED + zlib.compress(json.dumps(payload, ensure_ascii=False).encode(), 1)


def _is_date(value) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def unpack_checked(content: bytes) -> CheckedFile | None:
    """The rows pack_checked kept; None when the content is an uploaded file instead."""
    if not content.startswith(_PACKED):
        return None
    try:
        payload = json.loads(zlib.decompress(content[len(_PACKED) :]))
    except (zlib.error, ValueError):
        return None
    dates = payload["dates"]
    rows = []
    for line, columns in payload["rows"]:
        for key in dates:
            if columns.get(key) is not None:
                columns[key] = date.fromisoformat(columns[key])
        rows.append((line, columns))
    return CheckedFile(total_rows=payload["total_rows"], rows=rows)


def fail_import(
    session: Session, job_id: int, error, *, errors: list[FieldError] | None = None
) -> None:
    """Mark a job failed with a message in the uploader's language; nothing was imported."""
    job = session.get(HouseholdImport, job_id)
    if job is None or job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
        return
    job.status = ImportStatus.FAILED
    job.message = _render(error, job.language)
    if errors:
        job.errors = _rendered_errors(errors, job.language)
    job.content = None
    job.imported_rows = 0
    job.updated_at = utcnow()
    session.flush()


def cancel_import(session: Session, job: HouseholdImport, *, now: datetime | None = None) -> None:
    """Drop a job that was not imported, and the file it kept."""
    now = now or utcnow()
    if not (job.status in CANCELLABLE or is_interrupted(job, now=now)):
        raise Conflict(_l("Only an import that is waiting for confirmation can be cancelled."))
    job.status = ImportStatus.CANCELLED
    job.content = None
    job.updated_at = now
    session.flush()


def is_interrupted(job: HouseholdImport, *, now: datetime | None = None) -> bool:
    """A job still working but silent for minutes: its worker stopped; nothing was imported."""
    if job.status not in WORKING:
        return False
    return (now or utcnow()) - as_utc(job.updated_at) > STALE_AFTER


def import_for(session: Session, job_id: int, user: User) -> HouseholdImport:
    """A job its uploader (or an admin) may see; NotFound for anyone else."""
    job = session.get(HouseholdImport, job_id) if 0 < job_id < 2**31 else None
    if job is None or (user.role != "admin" and job.user_id != user.id):
        raise NotFound(_l("There is no import with the number %(id)s.", id=job_id))
    return job


def recent_imports(session: Session, user: User, limit: int = 10) -> list[HouseholdImport]:
    """The user's latest imports, newest first."""
    return list(
        session.scalars(
            select(HouseholdImport)
            .where(HouseholdImport.user_id == user.id)
            .order_by(HouseholdImport.id.desc())
            .limit(limit)
        )
    )


def job_errors(job: HouseholdImport) -> list[dict]:
    return json.loads(job.errors or "[]")


# -- the template to fill in -----------------------------------------------------------------

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


def template_csv() -> bytes:
    """The header row of an import file, as CSV UTF-8."""
    return (",".join(FIELDS) + "\r\n").encode("utf-8")


def _instructions() -> list[tuple[str, str]]:
    """(column, what to write) in the current language."""
    required = gettext("Required.")
    optional = gettext("Optional.")
    return [
        ("head_name", f"{required} " + gettext("The head of household's full name.")),
        ("worker_name", f"{required} " + gettext("The migrant worker's full name.")),
        (
            "worker_relation",
            f"{required} "
            + gettext(
                "How the migrant worker is related to the head of household: %(words)s.",
                words=", ".join(RELATION_WORDS),
            ),
        ),
        (
            "nik",
            f"{required} "
            + gettext(
                "The head of household's NIK: 16 digits. Keep this column formatted as"
                " Text, or Excel changes the last digits."
            ),
        ),
        (
            "phone",
            f"{optional} "
            + gettext("An Indonesian phone number: 08…, +62… or 62…. Keep it as Text."),
        ),
        ("province", f"{required} " + gettext("One of the provinces listed below.")),
        ("regency", f"{required} " + gettext("The regency or city (kabupaten/kota).")),
        ("district", f"{required} " + gettext("The district (kecamatan).")),
        ("village", f"{required} " + gettext("The village (desa/kelurahan).")),
        ("members", f"{required} " + gettext("People in the household: 1 to 50.")),
        (
            "vulnerabilities",
            f"{optional} "
            + gettext(
                "Any of %(words)s, separated by ; (for example elderly;under5).",
                words=", ".join(VULNERABILITY_WORDS),
            ),
        ),
        (
            "consent",
            f"{required} " + gettext("Consent to the use of the data: yes or no (ya or tidak)."),
        ),
        (
            "consent_date",
            f"{optional} "
            + gettext("When consent was given, as YYYY-MM-DD. Empty: the day of the import."),
        ),
    ]


def template_xlsx() -> bytes:
    """A workbook to fill in: the columns (NIK and phone as Text), then the instructions
    and the allowed values in the current language on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Households")[:31]
    sheet.append(list(FIELDS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    text_columns = {FIELDS.index("nik") + 1, FIELDS.index("phone") + 1}
    for column in range(1, len(FIELDS) + 1):
        letter = sheet.cell(row=1, column=column).column_letter
        sheet.column_dimensions[letter].width = 20
        if column in text_columns:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1002):  # Excel keeps the format of cells it has been told
                sheet.cell(row=row, column=column).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(gettext("Instructions")[:31])
    notes.append([gettext("How to fill in this file")])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(
        [
            gettext(
                "One household a row, from row 2. Keep the column names of row 1 as they"
                " are. Blank rows are skipped. One bad row stops the whole import:"
                " kitlog lists every problem with its row number."
            )
        ]
    )
    notes.append([])
    notes.append([gettext("Column"), gettext("What to write")])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    for name, text in _instructions():
        notes.append([name, text])
    notes.append([])
    notes.append([gettext("Allowed values")])
    notes[notes.max_row][0].font = Font(bold=True)
    notes.append(["worker_relation", "; ".join(RELATION_WORDS)])
    notes.append(["vulnerabilities", "; ".join(VULNERABILITY_WORDS)])
    notes.append(["consent", "yes; no; ya; tidak"])
    notes.append([])
    notes.append([gettext("Provinces")])
    notes[notes.max_row][0].font = Font(bold=True)
    for name in PROVINCE_NAMES:
        notes.append(["province", name])
    notes.append([])
    notes.append([gettext("Example row")])
    notes[notes.max_row][0].font = Font(bold=True)
    notes.append(list(FIELDS))
    notes.append([str(EXAMPLE_ROW[f]) for f in FIELDS])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors_by_row(errors: list[Mapping]) -> dict[int, list[Mapping]]:
    """Problems grouped by their spreadsheet line, in order."""
    grouped: dict[int, list[Mapping]] = defaultdict(list)
    for error in errors:
        grouped[error.get("row", 0)].append(error)
    return dict(grouped)
