"""Numbers drawn from named counters kept in the database, safe across workers."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from kitlog.models import Counter


def _create_if_missing(session: Session, name: str) -> None:
    statement: Insert
    if session.get_bind().dialect.name == "postgresql":
        statement = pg_insert(Counter).values(name=name, value=0).on_conflict_do_nothing()
    else:
        statement = insert(Counter).values(name=name, value=0).prefix_with("OR IGNORE")
    session.execute(statement)


def next_numbers(session: Session, name: str, count: int = 1) -> range:
    """Reserve `count` consecutive numbers of the counter `name` (the first is 1).

    The UPDATE takes the counter's row lock (PostgreSQL) or the write lock (SQLite),
    so two transactions never draw the same number; a rolled-back draw leaves a gap.
    """
    if count < 1:
        return range(0)
    _create_if_missing(session, name)
    last = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + count)
        .returning(Counter.value)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return range(last - count + 1, last + 1)


def current_value(session: Session, name: str) -> int:
    """The last number drawn from the counter (0 when none was)."""
    return session.scalar(select(Counter.value).where(Counter.name == name)) or 0
