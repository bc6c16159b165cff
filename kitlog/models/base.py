"""The models' base class and the column helpers they share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast, overload

from sqlalchemy import DateTime, Table
from sqlalchemy.orm import Mapped, mapped_column

from kitlog.extensions import Base, db

if TYPE_CHECKING:
    # Flask-SQLAlchemy builds db.Model at run time, out of sight of a type checker; it is a
    # subclass of this declarative base, whose mapped columns SQLAlchemy types.
    Model = Base
else:
    Model = db.Model


def table_of(model: type[Model]) -> Table:
    """A model's table, for the statements written below the ORM (bulk INSERTs, COPY).

    SQLAlchemy declares `__table__` as any FromClause; a declarative model's is a Table.
    """
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    """Timestamps are stored in UTC and shown in the deployment's time zone."""
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored instant with its UTC offset: SQLite gives timestamps back without one."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint text: the column holds one of the values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
