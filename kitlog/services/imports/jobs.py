"""Import jobs (the pages): an upload kept as a `HouseholdImport` row whose state lives
in the database, so that any worker can show its progress, and the functions that move a
job along (checked, ready, importing, done; invalid, failed or cancelled).

The work itself runs in the background (`runner`); these functions only read and change
the job's row, in the session they are given.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import PurePath
from typing import NotRequired, TypedDict, TypeGuard

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from kitlog.models import HouseholdImport, ImportStatus, User
from kitlog.models.base import as_utc, utcnow
from kitlog.services.errors import Conflict, FieldError, NotFound
from kitlog.services.imports.checking import CheckedFile, Columns, Progress, check_spreadsheet
from kitlog.services.imports.reading import ImportFileError, precheck_spreadsheet

# A job with no news for this long was left by a worker that stopped (a restart, a kill).
STALE_AFTER = timedelta(minutes=2)

WORKING = (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
CANCELLABLE = (ImportStatus.READY, ImportStatus.INVALID)


def _render(message: str | LazyString, language: str) -> str:
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
    )
    assert isinstance(moved, CursorResult)  # an UPDATE's result counts rows
    if moved.rowcount != 1:
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


def _is_date(value: object) -> TypeGuard[date]:
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
    rows: list[tuple[int, Columns]] = []
    for line, columns in payload["rows"]:
        for key in dates:
            if columns.get(key) is not None:
                columns[key] = date.fromisoformat(columns[key])
        rows.append((line, columns))
    return CheckedFile(total_rows=payload["total_rows"], rows=rows)


def fail_import(
    session: Session,
    job_id: int,
    error: str | LazyString,
    *,
    errors: list[FieldError] | None = None,
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


class JobError(TypedDict):
    """A problem of a job's file as kept in the job (`FieldError.as_dict`, rendered)."""

    row: NotRequired[int]
    field: str
    message: str


def job_errors(job: HouseholdImport) -> list[JobError]:
    errors: list[JobError] = json.loads(job.errors or "[]")
    return errors


def errors_by_row(errors: list[JobError]) -> dict[int, list[JobError]]:
    """Problems grouped by their spreadsheet line, in order."""
    grouped: dict[int, list[JobError]] = defaultdict(list)
    for error in errors:
        grouped[error.get("row", 0)].append(error)
    return dict(grouped)
