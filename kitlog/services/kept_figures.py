"""Kept figures checked against the rows: every kept table recomputed from the ledger,
the parcels and their lines (kitlog.kept_figures.recompute_sql) and compared, row by row.

A row whose figures are all 0 (and no moment) is the same as no row: a figure taken
back to 0 leaves its row behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from kitlog.kept_figures import KEPT_TABLES, recompute_sql
from kitlog.models.base import as_utc

_Rows = dict[tuple[Any, ...], tuple[Any, ...]]


def _value(value: Any) -> Any:
    """A stored value as comparable: instants in UTC, numbers as int."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return as_utc(datetime.fromisoformat(value))  # SQLite's text instant
    if isinstance(value, bool):
        return int(value)
    if hasattr(value, "__int__") and not isinstance(value, str):
        return int(value)
    return value


def _keyed(rows: Sequence[Sequence[Any]], key: int) -> _Rows:
    found: _Rows = {}
    for row in rows:
        values = tuple(_value(v) for v in row[key:])
        if any(v not in (0, None) for v in values):
            found[tuple(row[:key])] = values
    return found


def kept_figures_problems(session: Session) -> list[str]:
    """Every kept figure that differs from the same figure recomputed from the rows, in
    plain words; empty when all agree."""
    dialect = session.get_bind().dialect.name
    problems: list[str] = []
    for table, select in recompute_sql(dialect).items():
        columns, key = KEPT_TABLES[table]
        kept = _keyed(
            session.execute(text(f"SELECT {', '.join(columns)} FROM {table}")).all(),  # noqa: S608
            key,
        )
        rows = _keyed(session.execute(text(select)).all(), key)
        for found in sorted(kept.keys() | rows.keys(), key=repr):
            if kept.get(found) != rows.get(found):
                where = ", ".join(f"{c} {v}" for c, v in zip(columns, found, strict=False))
                problems.append(
                    f"{table} ({where}): kept {_shown(columns[key:], kept.get(found))},"
                    f" the rows give {_shown(columns[key:], rows.get(found))}"
                )
    return problems


def _shown(columns: list[str], values: tuple[Any, ...] | None) -> str:
    if values is None:
        return "nothing"
    return ", ".join(f"{c} {v}" for c, v in zip(columns, values, strict=True))
