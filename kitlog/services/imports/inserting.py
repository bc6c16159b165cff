"""Importing checked rows: all of them in one transaction, or none (rule 7 of
docs/design.md).

The insert takes the write lock, checks the registry again, draws the household codes
once and sends the rows to the database in bulk, below the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from operator import itemgetter

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kitlog.models import Household, HouseholdImport, ImportStatus, User
from kitlog.models.base import table_of, utcnow
from kitlog.services.errors import Conflict, FieldError, InvalidValues
from kitlog.services.households import household_codes
from kitlog.services.imports.checking import (
    CheckedFile,
    Columns,
    Progress,
    check_spreadsheet,
    nik_of,
    registered_niks,
)
from kitlog.services.imports.reading import ImportFileError
from kitlog.services.locking import begin_write

INSERT_CHUNK = 5_000


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
    registered = registered_niks(session, [nik_of(columns) for _line, columns in checked.rows])
    if registered:
        lines = {nik_of(columns): line for line, columns in checked.rows}
        raise InvalidValues(
            [
                FieldError("nik", _l("Already registered as %(code)s.", code=code), lines[nik])
                for nik, code in sorted(registered.items(), key=lambda item: lines[item[0]])
            ],
            _l("Some rows are not valid: nothing was imported."),
        )
    common: dict[str, object] = {
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
        )
        assert isinstance(taken, CursorResult)  # an UPDATE's result counts rows
        if taken.rowcount != 1:
            raise Conflict(_l("This import was stopped or already imported: nothing was imported."))
        session.expire(job)
    return total


def _bulk_insert(
    session: Session,
    rows: list[tuple[int, Columns]],
    codes: list[str],
    common: dict[str, object],
    progress: Progress | None,
) -> None:
    """INSERT the rows in chunks of INSERT_CHUNK; the values are complete and clean.

    Below the ORM and SQLAlchemy's per-row parameter processing: tuples straight to the
    driver. PostgreSQL takes them with COPY (psycopg adapts dates, times and booleans
    itself); SQLite with executemany, the values that need it (dates) converted by the
    column types' own bind processors, so they are stored exactly as the ORM stores them.
    """
    table = table_of(Household)
    names = [*rows[0][1], *common, "code"]
    # The names are the table's own columns, never anything read from the file.
    if not set(names) <= set(table.c.keys()):
        raise ValueError(f"not columns of {table.name}: {set(names) - set(table.c.keys())}")
    connection = session.connection()
    dialect = connection.dialect
    file_columns = names[: len(rows[0][1])]
    processors: dict[str, Callable[[object], object]] = {}
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

    def chunks() -> Iterator[list[tuple[object, ...]]]:
        for start in range(0, total, INSERT_CHUNK):
            chunk: list[tuple[object, ...]] = []
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
        assert driver is not None  # a checked-out connection has its driver's
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
