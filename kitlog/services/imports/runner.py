"""The background work of an import job: checking an uploaded file, and importing the
rows of a confirmed one.

The pages only start this work (`start_check`, `start_import`); it runs after their
request has ended, in a thread of its own with an application context and a session of
its own (`db.session`, removed when the work ends). Unlike a request, it commits its own
transactions: the check's reading, the job's new state, the import in one transaction,
and each progress report in a short transaction on a connection of its own, so that any
worker can show how far the job is. Whatever goes wrong, the job is marked failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, TypeVarTuple
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from kitlog.extensions import db
from kitlog.models import HouseholdImport
from kitlog.models.base import utcnow
from kitlog.services.errors import DomainError, InvalidValues
from kitlog.services.imports.checking import Progress
from kitlog.services.imports.inserting import import_households
from kitlog.services.imports.jobs import check_import, fail_import, recheck_import, record_check
from kitlog.services.imports.slots import CheckSlot
from kitlog.services.locking import begin_write

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

Extra = TypeVarTuple("Extra")


def start_check(app: Flask, job_id: int, slot: CheckSlot | None = None) -> None:
    """Check an uploaded job's rows in the background (check_job)."""
    _start(app, check_job, job_id, slot)


def start_import(app: Flask, job_id: int) -> None:
    """Import a confirmed job's rows in the background (import_job_rows)."""
    _start(app, import_job_rows, job_id)


def _start(
    app: Flask, work: Callable[[Flask, int, *Extra], None], job_id: int, *extra: *Extra
) -> None:
    """Run work(app, job_id, *extra) in a thread (or at once when IMPORTS_IN_BACKGROUND is
    off)."""
    if not app.config.get("IMPORTS_IN_BACKGROUND", True):
        work(app, job_id, *extra)
        return
    thread = threading.Thread(
        target=work, args=(app, job_id, *extra), name=f"kitlog-import-{job_id}", daemon=True
    )
    thread.start()


def _today(app: Flask) -> date:
    """Today in the deployment's time zone (KITLOG_TIMEZONE), not the server's."""
    return datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()


def _progress(job_id: int) -> Progress:
    """Write the progress in its own short transaction, so any worker can show it."""
    engine = db.engine

    def report(done: int, expected: int) -> None:
        try:
            with engine.begin() as connection:
                connection.execute(
                    update(HouseholdImport)
                    .where(HouseholdImport.id == job_id)
                    .values(processed_rows=done, total_rows=expected, updated_at=utcnow())
                )
        except OperationalError:  # the database is busy: the next report will do
            log.info("import %s: progress not saved (database busy)", job_id)

    return report


def check_job(app: Flask, job_id: int, slot: CheckSlot | None = None) -> None:
    """Check an uploaded file's rows (a thread of its own, with its own session); the
    upload's check slot is released when the check ends, whatever happens."""
    with app.app_context():
        session = db.session()  # this thread's, until db.session.remove()
        try:
            job = session.get_one(HouseholdImport, job_id)
            result = check_import(session, job, today=_today(app), progress=_progress(job_id))
            # SQLite: a reader cannot become a writer once others wrote (the progress).
            session.commit()
            begin_write(session)
            record_check(session, job, result)
            session.commit()
        except Exception as error:  # noqa: BLE001 - whatever happens, the job must say so
            session.rollback()
            log.exception("checking import %s failed", job_id)
            _fail(job_id, error)
        finally:
            if slot is not None:
                slot.release()
            db.session.remove()


def import_job_rows(app: Flask, job_id: int) -> None:
    """Read the confirmed file again, check it again, import it in one transaction."""
    with app.app_context():
        session = db.session()  # this thread's, until db.session.remove()
        try:
            job = session.get_one(HouseholdImport, job_id)
            report = _progress(job_id)
            # The bar's first half is the check again, its second half the insert.
            checked = recheck_import(
                session,
                job,
                today=_today(app),
                progress=lambda done, total: report(done // 2, total),
            )
            user = job.user
            session.commit()  # end the reading; the import begins as a writer
            begin_write(session)
            total = checked.total_rows
            inserting: Progress | None = None
            if db.engine.dialect.name != "sqlite":
                # SQLite: the import holds the database's write lock, so no other
                # connection can write the progress until it commits (a short wait).
                def inserting(done: int, rows: int) -> None:
                    report((total + done * total // rows) // 2, total)

            import_households(session, checked, user=user, job=job, progress=inserting)
            session.commit()
        except Exception as error:  # noqa: BLE001 - whatever happens, the job must say so
            session.rollback()
            if not isinstance(error, DomainError):
                log.exception("importing %s failed", job_id)
            _fail(job_id, error)
        finally:
            db.session.remove()


def _fail(job_id: int, error: Exception) -> None:
    if isinstance(error, DomainError):
        message = error.message
    else:
        message = _l("Something went wrong on the server while reading the file.")
    session = db.session()
    try:
        fail_import(
            session,
            job_id,
            _l("Nothing was imported. %(reason)s", reason=message),
            errors=error.errors if isinstance(error, InvalidValues) else None,
        )
        session.commit()
    except Exception:
        session.rollback()
        log.exception("import %s: could not record the failure", job_id)
