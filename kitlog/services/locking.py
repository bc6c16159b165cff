"""Transactions, and write transactions that the database serialises: row locks on
PostgreSQL, BEGIN IMMEDIATE on SQLite.

Who commits: a request is one unit of work, begun and committed by `kitlog.unit_of_work`
(the web layer's only commit). Work outside a request (the `kitlog` commands, the
spreadsheet import's background jobs) and the few steps of a request that must be
committed on their own, whatever the request answers (a login attempt is counted before
the password is checked), run in `transaction()`. Services flush and never commit.

SQLite has one writer at a time. A transaction that will write begins as a writer
(`begin(write=True)`: BEGIN IMMEDIATE, before its first query), so writers wait for each
other (the busy timeout) instead of one failing at commit, and none works on a snapshot
another writer has since changed. A transaction that began as a reader takes the write
lock with `write_lock()`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Executable, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from kitlog.models import DonorBatch, Feedback, Household, Manifest, Parcel, Round

# the rows lock_row serialises writers of
T = TypeVar("T", Feedback, Household, Manifest, Parcel, Round)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _session(session: Session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _begun(session: Session) -> bool:
    """Has the session's transaction talked to the database yet?"""
    transaction = _session(session).get_transaction()
    return transaction is not None and bool(transaction._connections)


def begin(session: Session, *, write: bool) -> None:
    """Begin the session's transaction, as a writer when `write`, if it has not begun yet.

    On SQLite a writer's transaction is BEGIN IMMEDIATE, so concurrent writers wait for
    each other (busy timeout) instead of one failing at commit. Elsewhere, and for a
    reader, the transaction begins with the first query, as usual.
    """
    if not write or _dialect(session) != "sqlite" or _begun(session):
        return
    _session(session).connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def begin_write(session: Session) -> None:
    """`begin(session, write=True)`."""
    begin(session, write=True)


def is_writer(session: Session) -> bool:
    """Did the session's transaction begin as a writer (BEGIN IMMEDIATE on SQLite)?"""
    if _dialect(session) != "sqlite" or not _begun(session):
        return False
    return _session(session).connection().info.get("sqlite_begin") == "IMMEDIATE"


def write_lock(session: Session, touch: Executable | None = None) -> None:
    """Hold SQLite's database-wide write lock from now until the transaction ends.

    A transaction that has not begun yet begins as a writer. One that began as a reader
    takes the lock by running `touch`, a write that changes nothing (and fails rather than
    go on from a snapshot another writer has since changed). Elsewhere a no-op: PostgreSQL
    locks rows instead.
    """
    if _dialect(session) != "sqlite":
        return
    begin(session, write=True)
    if touch is not None and not is_writer(session):
        session.execute(touch)


@contextmanager
def transaction(session: Session, *, write: bool = False) -> Iterator[Session]:
    """A unit of work of its own: it begins here (as a writer when `write`), commits when
    the block ends, and rolls back when the block raises.

    A transaction already in progress is committed first, so that the block begins
    afresh; enter it before the request has written anything of its own (in a request,
    what came before is loading the user). When that transaction was a writer's, the
    session begins as a writer again once the block ends, so that the rest of the request
    still works as one.
    """
    resume = is_writer(session)
    if _session(session).in_transaction():
        session.commit()
    begin(session, write=write)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()
    begin(session, write=resume)


def lock_row(session: Session, row: T) -> T:
    """Serialise writers of this row (a round, a manifest) until the transaction ends, and
    read it afresh.

    PostgreSQL: SELECT ... FOR UPDATE on the row. SQLite: the database-wide write lock.
    """
    if _dialect(session) == "sqlite":
        write_lock(session)
        return row
    model = type(row)
    return session.execute(
        select(model)
        .where(model.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_key(session: Session, scope: int, key: int) -> None:
    """Serialise writers of one named thing that has no row of its own (one sender's
    public feedback) until the transaction ends.

    PostgreSQL: a transaction-level advisory lock on (scope, key), both 32-bit. SQLite:
    the database-wide write lock.
    """
    if _dialect(session) == "sqlite":
        write_lock(session)
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:scope, :key)"), {"scope": scope, "key": key}
    )


def lock_batches(session: Session, batch_ids: list[int]) -> None:
    """Serialise every stock change of these batches until the transaction ends.

    PostgreSQL: SELECT ... FOR UPDATE on the batch rows, in id order (no deadlocks).
    SQLite: the database-wide write lock; a transaction that began as a reader takes
    it with a no-op write (and fails rather than work on a stale snapshot).
    """
    ids = sorted(set(batch_ids))
    if _dialect(session) == "sqlite":
        touch = None
        if ids:
            touch = text("UPDATE donor_batches SET id = id WHERE id = :id").bindparams(id=ids[0])
        write_lock(session, touch)
        return
    session.execute(
        select(DonorBatch.id)
        .where(DonorBatch.id.in_(ids))
        .order_by(DonorBatch.id)
        .with_for_update()
    )


class HeldLock:
    """A lock on (scope, key) that every worker process sees, held until released.

    PostgreSQL: a session-level advisory lock on a connection of its own, so every server
    sees it too. SQLite (one server): an flock on a file beside the database. Either way
    the database or the operating system frees it when the process dies, so a killed
    worker never leaves it held.
    """

    def __init__(self, release: Callable[[], None]):
        self._release = release
        self._released = False

    @classmethod
    def try_take(cls, session: Session, scope: int, key: int) -> HeldLock | None:
        """The lock, or None when another process (or thread) holds it."""
        engine = session.get_bind().engine
        if engine.dialect.name == "postgresql":
            return cls._advisory(engine, scope, key)
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return cls(lambda: None)  # one process sees the whole database: nothing to share
        return cls._flock(f"{database}-lock-{scope}-{key}")

    @classmethod
    def _advisory(cls, engine: Engine, scope: int, key: int) -> HeldLock | None:
        connection = engine.connect()
        try:
            taken = connection.scalar(
                text("SELECT pg_try_advisory_lock(:scope, :key)"), {"scope": scope, "key": key}
            )
            connection.commit()  # the lock is the session's: it outlives the transaction
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        if not taken:
            connection.close()
            return None

        def release() -> None:
            try:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:scope, :key)"), {"scope": scope, "key": key}
                )
                connection.commit()
            except Exception:
                connection.invalidate()  # closing the connection frees the lock
            finally:
                connection.close()

        return cls(release)

    @classmethod
    def _flock(cls, path: str) -> HeldLock | None:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        return cls(lambda: os.close(descriptor))  # closing the file frees its flock

    def release(self) -> None:
        """Free the lock (once; later calls do nothing)."""
        if not self._released:
            self._released = True
            self._release()
