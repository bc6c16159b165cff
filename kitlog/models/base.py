"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Timestamps are stored in UTC and shown in the deployment's time zone."""
    return datetime.now(UTC)


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
