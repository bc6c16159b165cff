"""Write transactions that the database serialises: row locks on PostgreSQL,
BEGIN IMMEDIATE on SQLite."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session, scoped_session

from kitlog.models import DonorBatch

T = TypeVar("T")


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
