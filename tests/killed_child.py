"""The process that tests/test_killed_midway.py kills in the middle of its work.

    python -m tests.killed_child MARKER TABLE:ID import FILE
    python -m tests.killed_child MARKER TABLE:ID import-job JOB_ID
    python -m tests.killed_child MARKER TABLE:ID allocate ROUND_ID

It builds kitlog as `wsgi.py` does (the database from KITLOG_DATABASE_URL) and runs the
real service, unchanged. The database itself stops it half-way, whatever way the service
sends its rows (INSERT, executemany, COPY): when the row with that id is written into
TABLE, the rows already in TABLE, as its own open transaction sees them, are reported
and the work sleeps until the test kills this process with SIGKILL.

- SQLite: a TEMP trigger on this process's connections calls a Python function that
  writes the count to MARKER and sleeps.
- PostgreSQL: the test's trigger (inert unless the session asks for it) puts the count
  in the session's application_name, where the test reads it, and waits for an advisory
  lock that the test holds until this process is dead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import event

from kitlog import create_app
from kitlog.extensions import db
from kitlog.models import HouseholdImport, Round
from kitlog.services import distribution, imports
from kitlog.services.imports.runner import import_job_rows

TODAY = date(2021, 1, 10)
NAPTIME_S = 120  # far longer than the test waits: it kills this process first
TABLES = ("households", "parcels")


def _sleep_here(rows: int) -> None:
    """SQLite: called by the trigger, inside the INSERT, inside the transaction."""
    marker = Path(sys.argv[1])
    partial = marker.with_suffix(".partial")
    partial.write_text(json.dumps({"rows": rows}))
    os.replace(partial, marker)
    time.sleep(NAPTIME_S)
    os._exit(3)  # never reached when the test works: it must not commit either way


def pause_at(where: str) -> None:
    """Every connection of this process stops when the row `table:id` is written."""
    table, row_id = where.split(":")
    if table not in TABLES:
        raise SystemExit(f"no pause on {table}")
    row_id = int(row_id)

    @event.listens_for(db.engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if db.engine.dialect.name == "sqlite":
            dbapi_connection.create_function("kitlog_killed_midway", 1, _sleep_here)
            cursor.execute(
                f"CREATE TEMP TRIGGER kitlog_killed_midway AFTER INSERT ON main.{table}"  # noqa: S608
                f" WHEN NEW.id = {row_id} BEGIN SELECT kitlog_killed_midway("
                f"(SELECT count(*) FROM main.{table} WHERE id < NEW.id)); END"
            )
        else:
            cursor.execute("SELECT set_config('kitlog.killed_midway', %s, false)", (where,))
            dbapi_connection.commit()
        cursor.close()

    db.engine.dispose()  # no connection made before the listener escapes it


def main() -> None:
    instance = Path(sys.argv[1]).parent / "child-instance"
    app = create_app(instance_path=str(instance))
    where, what, argument = sys.argv[2:5]
    with app.app_context():
        pause_at(where)
        if what == "import":
            content = Path(argument).read_bytes()
            imports.import_spreadsheet(
                db.session, content, "households.csv", user=None, today=TODAY
            )
            db.session.commit()
        elif what == "import-job":
            # What the confirm button does: the job moves to importing (committed), then
            # its rows are read, checked again and imported in one transaction.
            job_id = int(argument)
            imports.begin_import(db.session, db.session.get(HouseholdImport, job_id))
            db.session.commit()
            import_job_rows(app, job_id)
        elif what == "allocate":
            round_ = db.session.get(Round, int(argument))
            distribution.allocate(db.session, round_, user=None, today=TODAY)
            db.session.commit()
        else:
            raise SystemExit(f"unknown work: {what}")
    print("finished without being killed", flush=True)


if __name__ == "__main__":
    main()
