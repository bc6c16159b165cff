"""SQLite writers queue at a file lock before BEGIN IMMEDIATE: held for exactly the write
transaction, so the next writer starts as soon as the one before it ends."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import func, select, text

from kitlog.extensions import WriterQueue, db
from kitlog.models import AuditEvent
from kitlog.services.locking import begin_write


@pytest.fixture
def sqlite_only(db_backend):
    if db_backend != "sqlite":
        pytest.skip("the writers' queue is SQLite's (PostgreSQL locks rows)")


def _held_by_someone(path: str) -> bool:
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def test_the_queue_is_held_for_a_write_transaction_and_only_then(sqlite_only, app, database_url):
    path = database_url.removeprefix("sqlite:///") + "-writers"
    with app.app_context():
        session = db.session
        session.scalar(select(func.count()).select_from(AuditEvent))  # a reader: no queue
        assert not os.path.exists(path) or not _held_by_someone(path)
        session.commit()
        begin_write(session)
        assert _held_by_someone(path)
        session.execute(text("UPDATE users SET id = id WHERE 0"))
        session.commit()
        assert not _held_by_someone(path)
        begin_write(session)
        assert _held_by_someone(path)
        session.rollback()
        assert not _held_by_someone(path)
        assert os.stat(path).st_mode & 0o077 == 0  # beside the database, as private


def test_a_second_writer_waits_its_turn_and_both_writes_land(sqlite_only, app, make):
    user = make.user("admin")
    times: dict[str, tuple[float, float]] = {}
    first_in = threading.Event()

    def write(name: str, hold: float) -> None:
        with app.app_context():
            session = db.session
            if name == "second":
                first_in.wait(5)
            begin_write(session)
            entered = time.monotonic()
            if name == "first":
                first_in.set()
            session.add(AuditEvent(action="test.queue", user_id=user.id, object_ref=name))
            session.flush()
            time.sleep(hold)
            left = time.monotonic()
            session.commit()
            times[name] = (entered, left)
            db.session.remove()

    threads = [
        threading.Thread(target=write, args=("first", 0.3)),
        threading.Thread(target=write, args=("second", 0.0)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(times) == {"first", "second"}
    assert times["second"][0] >= times["first"][1]  # not in before the first one ended
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.queue")
        )
    assert count == 2


def test_an_in_memory_database_has_no_queue():
    assert WriterQueue.for_database(":memory:", 1.0) is None
    assert WriterQueue.for_database(None, 1.0) is None
