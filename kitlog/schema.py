"""Schema changes for migrations that keep the database's own guarantees.

A status, an action or a reason is a string held to its vocabulary by a named CHECK
(`ck_scans_action`: `action IN ('pack', 'load', …)`). Growing the vocabulary means
replacing that CHECK, and on SQLite the usual way to change a constraint, Alembic's
batch mode, copies the table into a new one: the copy loses the table's triggers (the
append-only guards of the ledger, the scans and the audit log) without a word, and the
DROP of the old table fails once other tables' rows refer to it, because SQLite checks
foreign keys inside the migration's transaction.

`replace_checks` changes the CHECK in place instead, on both databases, so that the
table, its rows, its indexes and its triggers stay what they were, and it refuses to
finish if a trigger has gone. `keep_triggers` guards any other change (a batch rebuild)
the same way, re-creating on SQLite the triggers the rebuild dropped.

`AppendOnly` is the one definition of those append-only triggers, for both databases.

Migrations call these with `op`; tests call them with an `alembic.operations.Operations`
on a connection of their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.sql.elements import conv

if TYPE_CHECKING:
    from alembic.operations import Operations
    from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class AppendOnly:
    """The triggers that refuse to delete a table's rows or change them.

    With `fixed_columns`, only an UPDATE of those columns is refused, so that columns
    left out (the personal data of a scan, which the anonymisation clears) may still
    be cleared. A migration names the columns as they are at its revision.
    """

    table: str
    message: str
    fixed_columns: tuple[str, ...] = ()

    def create(self, dialect: str) -> list[str]:
        """The statements that create the triggers on `dialect` ("sqlite", "postgresql")."""
        t, columns = self.table, ", ".join(self.fixed_columns)
        update = f"UPDATE OF {columns}" if columns else "UPDATE"
        if dialect == "sqlite":
            abort = f"BEGIN SELECT RAISE(ABORT, '{self.message}'); END"
            return [
                f"CREATE TRIGGER {t}_no_update BEFORE {update} ON {t} {abort}",
                f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} {abort}",
            ]
        function = (
            f"CREATE FUNCTION {t}_append_only() RETURNS trigger AS $$"
            f" BEGIN RAISE EXCEPTION '{self.message}'; END $$ LANGUAGE plpgsql"
        )
        each_row = f"FOR EACH ROW EXECUTE FUNCTION {t}_append_only()"
        if not columns:
            return [
                function,
                f"CREATE TRIGGER {t}_no_update_delete BEFORE UPDATE OR DELETE ON {t} {each_row}",
            ]
        return [
            function,
            f"CREATE TRIGGER {t}_no_update BEFORE {update} ON {t} {each_row}",
            f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} {each_row}",
        ]

    def drop(self, dialect: str) -> list[str]:
        """The statements that drop what `create` made."""
        t = self.table
        if dialect == "sqlite":
            return [
                f"DROP TRIGGER IF EXISTS {t}_no_update",
                f"DROP TRIGGER IF EXISTS {t}_no_delete",
            ]
        triggers = (
            [f"{t}_no_update", f"{t}_no_delete"]
            if self.fixed_columns
            else [f"{t}_no_update_delete"]
        )
        return [f"DROP TRIGGER IF EXISTS {name} ON {t}" for name in triggers] + [
            f"DROP FUNCTION IF EXISTS {t}_append_only()"
        ]


class SchemaChangeRefused(RuntimeError):
    """A schema change would break a guarantee: rows outside a new CHECK, a lost trigger."""


def replace_checks(op: Operations, table: str, checks: Mapping[str, str]) -> None:
    """Replace the named CHECK constraints of `table`, keeping everything else.

    `checks` maps each constraint's full name (`ck_scans_action`) to its new condition,
    for example `sql_in("action", (...))` with the values written out in the migration.
    The rows already stored must meet the new conditions (a narrowed vocabulary needs
    its rows changed first); if any does not, nothing changes.

    PostgreSQL drops and adds each constraint (`ALTER TABLE`, which leaves triggers
    alone). SQLite has no `ALTER TABLE … DROP CONSTRAINT`: the condition is replaced in
    the table's definition in `sqlite_schema`, the documented procedure for changing a
    constraint without copying the table (sqlite.org/lang_altertable.html, "Making
    Other Kinds Of Table Schema Changes").
    """
    connection = op.get_bind()
    for name, condition in checks.items():
        # A CHECK refuses a row whose condition is false (not one where it is NULL).
        broken = connection.execute(
            text(f"SELECT count(*) FROM {table} WHERE NOT ({condition})")  # noqa: S608
        ).scalar()
        if broken:
            raise SchemaChangeRefused(f"{broken} rows of {table} do not meet the new {name}")
    with keep_triggers(op, table):
        if connection.dialect.name == "sqlite":
            _replace_sqlite_checks(connection, table, checks)
        else:
            for name, condition in checks.items():
                op.drop_constraint(conv(name), table, type_="check")
                op.create_check_constraint(conv(name), table, condition)


@contextmanager
def keep_triggers(op: Operations, table: str) -> Iterator[None]:
    """Around a change of `table`: afterwards, its triggers are exactly what they were.

    On SQLite a trigger the change dropped (a batch rebuild drops them all) is created
    again from the SQL it was created with; on PostgreSQL an `ALTER TABLE` keeps
    triggers, so they are only compared. A trigger still missing or changed afterwards
    raises `SchemaChangeRefused`, which fails the migration and rolls it back.
    """
    connection = op.get_bind()
    before = table_triggers(connection, table)
    yield
    if connection.dialect.name == "sqlite":
        present = table_triggers(connection, table)
        for name, sql in before.items():
            if name not in present:
                connection.exec_driver_sql(sql)
    after = table_triggers(connection, table)
    if after != before:
        lost = sorted(set(before) - set(after))
        changed = sorted(n for n in before if n in after and after[n] != before[n])
        raise SchemaChangeRefused(
            f"the triggers of {table} changed: lost {lost or 'none'}, changed {changed or 'none'}"
        )


def table_triggers(connection: Connection, table: str) -> dict[str, str]:
    """The user-defined triggers on `table`: name → definition, as the database reports it."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"
            ),
            {"table": table},
        )
    else:
        rows = connection.execute(
            text(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE tgrelid = to_regclass(:table) AND NOT tgisinternal"
            ),
            {"table": table},
        )
    return {name: definition for name, definition in rows}


def _replace_sqlite_checks(connection: Connection, table: str, checks: Mapping[str, str]) -> None:
    def replaced(sql: str) -> str:
        for name, condition in checks.items():
            sql = replace_check_in_create_table(sql, name, condition)
        return sql

    _rewrite_sqlite_table(connection, table, replaced)


def _rewrite_sqlite_table(connection: Connection, table: str, change: Callable[[str], str]) -> None:
    """Change `table`'s CREATE TABLE statement in `sqlite_schema`, in place."""
    sql = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"),
        {"table": table},
    ).scalar()
    if sql is None:
        raise SchemaChangeRefused(f"there is no table {table}")
    sql = change(sql)
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        connection.execute(
            text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :table"),
            {"sql": sql, "table": table},
        )
        # A new schema version makes every connection read the new definition.
        connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        connection.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = connection.exec_driver_sql(f"PRAGMA integrity_check({table})").scalars().all()
    if problems != ["ok"]:
        raise SchemaChangeRefused(f"{table} after the change: {'; '.join(problems)}")


def drop_referencing_columns(op: Operations, table: str, references: Mapping[str, str]) -> None:
    """Drop columns that each carry a named foreign key (`{column: constraint name}`),
    keeping everything else of the table.

    PostgreSQL drops each column with its key. SQLite refuses to drop a column that a
    foreign key names, and a batch copy would have to drop a table others refer to: the
    key is taken out of the table's definition in `sqlite_schema` (as `replace_checks`
    does), then the column is dropped with `ALTER TABLE … DROP COLUMN`.
    """
    connection = op.get_bind()
    with keep_triggers(op, table):
        if connection.dialect.name == "sqlite":

            def unreferenced(sql: str) -> str:
                for name in references.values():
                    pattern = re.compile(
                        rf"\s+CONSTRAINT\s+\"?{re.escape(name)}\"?\s+REFERENCES\s+\w+\s*\([^)]*\)",
                        re.IGNORECASE,
                    )
                    sql, count = pattern.subn("", sql)
                    if count != 1:
                        raise SchemaChangeRefused(f"{name} is named {count} times in {table}")
                return sql

            _rewrite_sqlite_table(connection, table, unreferenced)
        for column in references:
            op.drop_column(table, column)


_QUOTES = {"'": "'", '"': '"', "`": "`", "[": "]"}


def replace_check_in_create_table(sql: str, name: str, condition: str) -> str:
    """`sql` (a CREATE TABLE statement) with the condition of CHECK `name` replaced."""
    pattern = re.compile(
        rf"\bCONSTRAINT\s+(?:{re.escape(name)}|\"{re.escape(name)}\"|`{re.escape(name)}`"
        rf"|\[{re.escape(name)}\])\s+CHECK\s*\(",
        re.IGNORECASE,
    )
    found = list(pattern.finditer(sql))
    if len(found) != 1:
        raise SchemaChangeRefused(f"CHECK {name} is named {len(found)} times in its table")
    start = found[0].end()
    return f"{sql[:start]}{condition}{sql[_closing_parenthesis(sql, start) :]}"


def _closing_parenthesis(sql: str, start: int) -> int:
    """The index of the `)` that closes the `(` just before `start`, outside quotes."""
    depth, i = 1, start
    while i < len(sql):
        char = sql[i]
        if char in _QUOTES:
            # A quote is closed by its pair; a doubled quote inside is an escaped one,
            # which the scan reads as closing and opening again.
            i = sql.find(_QUOTES[char], i + 1)
            if i < 0:
                break
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise SchemaChangeRefused("a CHECK's parentheses do not close")
