"""A process killed in the middle of an import or an allocation leaves nothing half-done.

A real child process (tests/killed_child.py) builds kitlog on the test's database and
runs the real service: a household import (from the API's service, and as the job the
import pages start) or the allocation of a round. Once its first chunk is written, just
before the second, it counts inside its own open transaction the rows written so far,
tells the test, and waits; the test kills it with SIGKILL. Then, on a fresh connection:
none of those rows exists, the job says it was interrupted, the round and the stock are
as before, every batch reconciles, and the same import or allocation runs again to the
end (no lock, no code, no half-written row was left behind).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select, text, update

from kitlog.extensions import db
from kitlog.models import (
    AuditEvent,
    Counter,
    Household,
    HouseholdImport,
    Parcel,
    ParcelEvent,
    ParcelLine,
    Round,
    StockMovement,
)
from kitlog.services import distribution, imports, stock
from tests.web.conftest import text_of
from tests.web.pages import post_form, upload, wait_until_settled
from tests.worlds import csv_file, nik_number, row_values

ROOT = Path(__file__).resolve().parent.parent
IMPORT_ROWS = 6_000  # two INSERT chunks: 5,000 then 1,000
HOUSEHOLDS = 2_500  # three allocation chunks: 1,000, 1,000, 500
TODAY = date(2021, 1, 10)
EAST_JAVA = {"province": "Jawa Timur", "regency": "Kabupaten Malang"}
MARKER_TIMEOUT_S = 60
# Where the child stops: the first row of the second chunk (ids count from 1 in the
# test's fresh tables), its first chunk written in the same transaction.
FIRST_OF_SECOND_CHUNK = f"households:{imports.INSERT_CHUNK + 1}"
FIRST_PARCEL_OF_SECOND_CHUNK = f"parcels:{distribution.CHUNK + 1}"


def big_csv(n: int) -> bytes:
    return csv_file([row_values(i) for i in range(n)])


def counts(*models) -> dict[str, int]:
    """Rows per table, read on a fresh connection."""
    db.session.rollback()
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


GATE = 7_262_011  # PostgreSQL: the advisory lock the child's transaction waits for
PG_PAUSE = """
CREATE FUNCTION kitlog_killed_midway() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seen bigint;
BEGIN
    IF current_setting('kitlog.killed_midway', true) = TG_TABLE_NAME || ':' || NEW.id THEN
        EXECUTE 'SELECT count(*) FROM ' || quote_ident(TG_TABLE_NAME) || ' WHERE id < $1'
            INTO seen USING NEW.id;
        PERFORM set_config('application_name', 'kitlog-killed-midway:' || seen, false);
        PERFORM pg_advisory_xact_lock(7262011);  -- GATE: held by the test until the kill
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER kitlog_killed_midway BEFORE INSERT ON households
    FOR EACH ROW EXECUTE FUNCTION kitlog_killed_midway();
CREATE TRIGGER kitlog_killed_midway BEFORE INSERT ON parcels
    FOR EACH ROW EXECUTE FUNCTION kitlog_killed_midway();
"""
PG_NO_PAUSE = """
DROP TRIGGER IF EXISTS kitlog_killed_midway ON households;
DROP TRIGGER IF EXISTS kitlog_killed_midway ON parcels;
DROP FUNCTION IF EXISTS kitlog_killed_midway();
"""


@pytest.fixture(autouse=True)
def pause_point(app, db_backend):
    """PostgreSQL: the trigger that stops the child half-way, for this test only (it does
    nothing in a session that did not ask for it). SQLite: the child brings its own."""
    if db_backend == "postgresql":
        db.session.remove()
        with db.engine.begin() as connection:
            connection.exec_driver_sql(PG_NO_PAUSE + PG_PAUSE)
    yield
    # A failed test never leaves its child waiting, nor the gate it waits for.
    while _children:
        process = _children.pop()
        if process.poll() is None:
            process.kill()
            process.wait()
    while _gates:
        _gates.pop().invalidate()  # really closed: its advisory lock goes with it
    if db_backend != "postgresql":
        return
    db.session.remove()
    with db.engine.begin() as connection:
        connection.exec_driver_sql(PG_NO_PAUSE)


class Killed:
    """A child at work on the test's database, stopped when it writes the row `where`
    (table:id); what its own open transaction held then; what remains after the kill."""

    def __init__(self, database_url: str, tmp_path: Path, where: str, *work: str):
        self.dialect = make_url(database_url).get_backend_name()
        self.marker = tmp_path / "marker.json"
        self.log = tmp_path / "child.log"
        env = {
            **os.environ,
            "KITLOG_DATABASE_URL": database_url,
            "KITLOG_SECRET_KEY": "killed-midway-secret",
            "KITLOG_ENV": "development",
            "KITLOG_DEMO": "0",
        }
        self.gate = None
        if self.dialect == "postgresql":
            # Held until the child is dead: its transaction waits for it, half-way.
            self.gate = db.engine.connect()
            self.gate.execute(text("SELECT pg_advisory_lock(:gate)"), {"gate": GATE})
            self.gate.commit()
            _gates.append(self.gate)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.killed_child", str(self.marker), where, *work],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _children.append(self.process)
        self.backend_pid = None
        self.rows = self._wait_for_the_pause()

    def _wait_for_the_pause(self) -> int:
        """How many rows the child's transaction held when it stopped."""
        deadline = time.monotonic() + MARKER_TIMEOUT_S
        while True:
            rows = self._paused()
            if rows is not None:
                return rows
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                pytest.fail(
                    "the child never reached the middle of its work:\n" + self.log.read_text()
                )
            time.sleep(0.05)

    def _paused(self) -> int | None:
        if self.dialect == "sqlite":
            if not self.marker.exists():
                return None
            return json.loads(self.marker.read_text())["rows"]
        with db.engine.connect() as connection:  # a new transaction: a fresh snapshot
            found = connection.execute(
                text(
                    "SELECT pid, application_name FROM pg_stat_activity"
                    " WHERE datname = current_database()"
                    " AND application_name LIKE 'kitlog-killed-midway:%'"
                )
            ).first()
        if found is None:
            return None
        self.backend_pid = found.pid
        return int(found.application_name.rpartition(":")[2])

    def kill(self) -> None:
        """SIGKILL: no rollback, no cleanup, no goodbye to the database server."""
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL
        if self.gate is not None:
            # Its backend goes on, finds its client gone and rolls the transaction back.
            self.gate.execute(text("SELECT pg_advisory_unlock(:gate)"), {"gate": GATE})
            self.gate.close()
            _gates.remove(self.gate)
        db.session.remove()
        db.engine.dispose()  # every check after this opens the database afresh
        if self.backend_pid is not None:
            self._wait_for_backend_to_end()

    def _wait_for_backend_to_end(self) -> None:
        """PostgreSQL rolls the dead client's transaction back once it notices the closed
        socket; wait for its backend to leave pg_stat_activity."""
        deadline = time.monotonic() + 15
        while True:
            with db.engine.connect() as connection:
                alive = connection.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": self.backend_pid},
                )
            if not alive:
                return
            assert time.monotonic() < deadline, f"backend {self.backend_pid} outlived its client"
            time.sleep(0.05)


_children: list[subprocess.Popen] = []
_gates: list = []


def start(database_url: str, tmp_path: Path, where: str, *work: str) -> Killed:
    """The child, started on `work` and caught when it writes the row `where`."""
    return Killed(database_url, tmp_path, where, *work)


def counters() -> dict[str, int]:
    """The database's sequences (household codes): a rolled-back draw leaves them as they were."""
    db.session.rollback()
    return dict(db.session.execute(select(Counter.name, Counter.value)).all())


def codes_run_from_one(n: int) -> None:
    first, last = db.session.execute(
        select(func.min(Household.code), func.max(Household.code))
    ).one()
    assert (first, last) == ("HH-000001", f"HH-{n:06d}")


# -- the import ------------------------------------------------------------------------------


def test_an_import_killed_after_its_first_chunk_leaves_no_household(app, database_url, tmp_path):
    content = big_csv(IMPORT_ROWS)
    path = tmp_path / "households.csv"
    path.write_bytes(content)
    before = counts(Household, AuditEvent)
    sequences = counters()
    assert before["households"] == 0

    child = start(database_url, tmp_path, FIRST_OF_SECOND_CHUNK, "import", str(path))
    # The child is inside its transaction, one chunk written, more to come.
    assert child.rows == imports.INSERT_CHUNK < IMPORT_ROWS
    assert counts(Household)["households"] == 0  # no chunk was committed on its own
    child.kill()

    assert counts(Household, AuditEvent) == before
    assert counters() == sequences
    assert db.session.scalar(select(Household.id).where(Household.nik == nik_number(0))) is None

    # The same file imports in full: no lock, no NIK and no code was left taken.
    checked = imports.import_spreadsheet(
        db.session, content, "households.csv", user=None, today=TODAY
    )
    db.session.commit()
    assert checked.good_rows == IMPORT_ROWS
    assert counts(Household)["households"] == IMPORT_ROWS
    codes_run_from_one(IMPORT_ROWS)


def test_an_import_job_killed_mid_way_shows_as_interrupted_and_imports_again(
    app, client, auth, database_url, tmp_path
):
    app.config["IMPORTS_IN_BACKGROUND"] = False  # the parent's own pages run inline
    auth.login("field", language="en")
    content = big_csv(IMPORT_ROWS)
    page = upload(client, content, "desa-sedayu.csv").headers["Location"]
    job_id = int(page.rsplit("/", 1)[1])
    assert db.session.get(HouseholdImport, job_id).status == "ready"

    # The child confirms the job and imports it, as the confirm button's worker does.
    child = start(database_url, tmp_path, FIRST_OF_SECOND_CHUNK, "import-job", str(job_id))
    assert child.rows == imports.INSERT_CHUNK < IMPORT_ROWS
    db.session.rollback()
    job = db.session.get(HouseholdImport, job_id)
    assert job.status == "importing"
    assert counts(Household)["households"] == 0
    child.kill()

    job = db.session.get(HouseholdImport, job_id)
    assert (job.status, job.imported_rows) == ("importing", 0)
    assert counts(Household)["households"] == 0
    last_news = job.updated_at.replace(tzinfo=job.updated_at.tzinfo or UTC)  # SQLite: naive UTC
    assert not imports.is_interrupted(job, now=last_news)
    assert imports.is_interrupted(job, now=last_news + imports.STALE_AFTER + timedelta(seconds=1))

    # Minutes later, the uploader sees that it stopped and that nothing was imported.
    db.session.execute(
        update(HouseholdImport)
        .where(HouseholdImport.id == job_id)
        .values(updated_at=job.updated_at - imports.STALE_AFTER - timedelta(minutes=1))
    )
    db.session.commit()
    response = client.get(page)
    assert "Refresh" not in response.headers
    assert "This import was interrupted: nothing was imported." in text_of(response)

    # Cancel it, upload the same file again, confirm: every household is there, once.
    post_form(client, page, f"/households/imports/{job_id}/cancel")
    db.session.rollback()
    assert db.session.get(HouseholdImport, job_id).status == "cancelled"
    again = upload(client, content, "desa-sedayu.csv").headers["Location"]
    again_id = int(again.rsplit("/", 1)[1])
    post_form(client, again, f"/households/imports/{again_id}/confirm")
    done = wait_until_settled(client, again)
    assert f"{IMPORT_ROWS:,} households were imported." in text_of(done)
    assert counts(Household)["households"] == IMPORT_ROWS
    assert {h for (h,) in db.session.execute(select(Household.import_id).distinct())} == {again_id}
    codes_run_from_one(IMPORT_ROWS)


# -- the allocation --------------------------------------------------------------------------


def test_an_allocation_killed_after_its_first_chunk_leaves_no_parcel(
    app, make, runner, database_url, tmp_path
):
    rows = [
        row_values(i, province=EAST_JAVA["province"], regency=EAST_JAVA["regency"], members="4")
        for i in range(HOUSEHOLDS)
    ]
    imports.import_spreadsheet(db.session, csv_file(rows), "h.csv", user=None, today=TODAY)
    db.session.commit()
    batch = make.batch(received=HOUSEHOLDS)
    round_ = distribution.create_round(
        db.session,
        name="Paket kebersihan KOICA",
        batches=[batch],
        warehouse=batch.warehouse,
        entitlement=1,
        user=None,
        **EAST_JAVA,
    )
    distribution.open_round(db.session, round_, user=None)
    db.session.commit()
    round_id, batch_id = round_.id, batch.id
    assert distribution.plan_allocation(db.session, round_, today=TODAY).kits_needed == HOUSEHOLDS
    db.session.rollback()

    tables = (Parcel, ParcelLine, ParcelEvent, StockMovement, AuditEvent, Household)
    before = counts(*tables)
    round_before = _round_state(round_id)
    summary_before = _summary(batch_id)
    assert summary_before == {"on_hand": HOUSEHOLDS, "reserved": 0, "reconciled": True}

    child = start(database_url, tmp_path, FIRST_PARCEL_OF_SECOND_CHUNK, "allocate", str(round_id))
    assert child.rows == distribution.CHUNK < HOUSEHOLDS
    assert counts(Parcel)["parcels"] == 0  # nothing of it committed while it works
    child.kill()

    assert counts(*tables) == before
    assert before["parcels"] == 0
    assert _round_state(round_id) == round_before
    assert _summary(batch_id) == summary_before
    assert stock.reconciliation_problems(db.session) == []
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "All 1 batches reconcile." in result.output

    # The same allocation runs to the end: one parcel per household, every kit reserved.
    db.session.rollback()
    result = distribution.allocate(
        db.session, db.session.get(Round, round_id), user=None, today=TODAY
    )
    db.session.commit()
    assert result.allocated == HOUSEHOLDS
    assert counts(Parcel)["parcels"] == HOUSEHOLDS
    assert db.session.scalar(select(func.count(Parcel.household_id.distinct()))) == HOUSEHOLDS
    assert _summary(batch_id) == {"on_hand": HOUSEHOLDS, "reserved": HOUSEHOLDS, "reconciled": True}
    assert runner.invoke(args=["check"]).exit_code == 0


def _round_state(round_id: int) -> tuple:
    db.session.rollback()
    round_ = db.session.get(Round, round_id)
    return (round_.status, round_.opened_at, round_.closed_at)


def _summary(batch_id: int) -> dict:
    db.session.rollback()
    s = stock.batch_summaries(db.session)[batch_id]
    return {"on_hand": s.on_hand, "reserved": s.reserved, "reconciled": s.reconciled}
