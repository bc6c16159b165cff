"""Write transactions that the database serialises: row locks on PostgreSQL,
BEGIN IMMEDIATE on SQLite."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

from kitlog.models import DonorBatch, Manifest, Parcel, Round

T = TypeVar("T", Manifest, Parcel, Round)  # the rows lock_row serialises writers of


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def begin_write(session: Session) -> None:
    """Begin the session's transaction as a writer, if it has not begun yet.

    On SQLite this makes the transaction BEGIN IMMEDIATE, so concurrent writers wait
    for each other (busy timeout) instead of one failing at commit. Elsewhere a no-op.
    """
    if _dialect(session) != "sqlite":
        return
    if isinstance(session, scoped_session):
        session = session()
    transaction = session.get_transaction()
    if transaction is not None and transaction._connections:  # already talking to the db
        return
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def lock_row(session: Session, row: T) -> T:
    """Serialise writers of this row (a round, a manifest) until the transaction ends, and
    read it afresh.

    PostgreSQL: SELECT ... FOR UPDATE on the row. SQLite: the database-wide write lock.
    """
    if _dialect(session) == "sqlite":
        begin_write(session)
        return row
    model = type(row)
    return session.execute(
        select(model)
        .where(model.id == row.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def lock_batches(session: Session, batch_ids: list[int]) -> None:
    """Serialise every stock change of these batches until the transaction ends.

    PostgreSQL: SELECT ... FOR UPDATE on the batch rows, in id order (no deadlocks).
    SQLite: the database-wide write lock; a transaction that began as a reader takes
    it with a no-op write (and fails rather than work on a stale snapshot).
    """
    ids = sorted(set(batch_ids))
    if _dialect(session) == "sqlite":
        begin_write(session)
        connection = session.connection()
        if connection.info.get("sqlite_begin") != "IMMEDIATE" and ids:
            session.execute(text("UPDATE donor_batches SET id = id WHERE id = :id"), {"id": ids[0]})
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
