"""A vocabulary (statuses, actions, reasons) grows by replacing its CHECK, and the tables
keep their guarantees: the append-only triggers, the rows, what other tables refer to.

Every test works inside a transaction it rolls back, on the test's own database."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelEvent, Scan
from kitlog.models.base import sql_in
from kitlog.schema import (
    SchemaChangeRefused,
    keep_triggers,
    replace_check_in_create_table,
    replace_checks,
    table_triggers,
)
from kitlog.services.scans import ScanInput, record_scan

SCRATCH_GUARD = {
    "sqlite": [
        """CREATE TRIGGER scratch_no_delete BEFORE DELETE ON scratch
           BEGIN SELECT RAISE(ABORT, 'scratch is append-only'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION scratch_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'scratch is append-only'; END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER scratch_no_delete BEFORE DELETE ON scratch
           FOR EACH ROW EXECUTE FUNCTION scratch_append_only()""",
    ],
}
DROP_SCRATCH_GUARD = {
    "sqlite": "DROP TRIGGER scratch_no_delete",
    "postgresql": "DROP TRIGGER scratch_no_delete ON scratch",
}

# The same name, but guarding nothing that matters.
WEAKER_SCRATCH_GUARD = {
    "sqlite": "CREATE TRIGGER scratch_no_delete AFTER INSERT ON scratch BEGIN SELECT 1; END",
    "postgresql": """CREATE TRIGGER scratch_no_delete AFTER INSERT ON scratch
        FOR EACH ROW EXECUTE FUNCTION scratch_append_only()""",
}


@contextmanager
def migration(app):
    """Alembic operations on a connection whose work is rolled back afterwards, as a
    migration's `op` is (same engine, same naming convention)."""
    with db.engine.connect() as connection:
        transaction = connection.begin()
        try:
            context = MigrationContext.configure(connection, opts={"target_metadata": db.metadata})
            yield Operations(context), connection
        finally:
            transaction.rollback()


def refused(connection, statement: str, match: str) -> None:
    """`statement` fails with a message matching `match`, and only its savepoint is lost."""
    with pytest.raises(DBAPIError, match=match), connection.begin_nested():
        connection.exec_driver_sql(statement)


def scratch_table(op, connection) -> None:
    """A table with a status held to ('a', 'b') by a named CHECK, a row, and a trigger."""
    connection.exec_driver_sql(
        "CREATE TABLE scratch (id INTEGER PRIMARY KEY, status VARCHAR(16) NOT NULL,"
        " note VARCHAR(16), CONSTRAINT ck_scratch_status CHECK (status IN ('a', 'b')),"
        " CONSTRAINT ck_scratch_note CHECK (note IS NULL OR note <> ')'))"
    )
    for statement in SCRATCH_GUARD[connection.dialect.name]:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("INSERT INTO scratch (id, status) VALUES (1, 'a')")


def test_the_helper_widens_a_check_and_the_trigger_still_fires(app):
    with migration(app) as (op, connection):
        scratch_table(op, connection)
        refused(connection, "INSERT INTO scratch (id, status) VALUES (2, 'c')", "ck_scratch_status")
        triggers = table_triggers(connection, "scratch")
        assert set(triggers) == {"scratch_no_delete"}

        replace_checks(op, "scratch", {"ck_scratch_status": sql_in("status", ("a", "b", "c"))})

        connection.exec_driver_sql("INSERT INTO scratch (id, status) VALUES (2, 'c')")
        refused(connection, "INSERT INTO scratch (id, status) VALUES (3, 'd')", "ck_scratch_status")
        refused(connection, "INSERT INTO scratch (id, status, note) VALUES (4, 'a', ')')", "note")
        refused(connection, "DELETE FROM scratch WHERE id = 1", "append-only")
        assert table_triggers(connection, "scratch") == triggers
        rows = connection.exec_driver_sql("SELECT id, status FROM scratch ORDER BY id").all()
        assert rows == [(1, "a"), (2, "c")]


def test_a_batch_rebuild_without_the_helper_loses_the_trigger_on_sqlite(app, db_backend):
    """Why the helper exists: Alembic's batch mode copies a SQLite table into a new one,
    and the copy has no triggers. (On PostgreSQL batch mode alters the table in place.)"""
    if db_backend != "sqlite":
        pytest.skip("only SQLite rebuilds a table to change a CHECK")
    with migration(app) as (op, connection):
        scratch_table(op, connection)
        with op.batch_alter_table("scratch") as batch:
            batch.drop_constraint(op.f("ck_scratch_status"), type_="check")
            batch.create_check_constraint(
                op.f("ck_scratch_status"), sql_in("status", ("a", "b", "c"))
            )

        connection.exec_driver_sql("INSERT INTO scratch (id, status) VALUES (2, 'c')")
        assert table_triggers(connection, "scratch") == {}
        connection.exec_driver_sql("DELETE FROM scratch WHERE id = 1")
        assert connection.exec_driver_sql("SELECT count(*) FROM scratch").scalar() == 1


def test_keep_triggers_re_creates_what_a_batch_rebuild_dropped(app):
    with migration(app) as (op, connection):
        scratch_table(op, connection)
        triggers = table_triggers(connection, "scratch")
        with keep_triggers(op, "scratch"), op.batch_alter_table("scratch") as batch:
            batch.drop_constraint(op.f("ck_scratch_status"), type_="check")
            batch.create_check_constraint(
                op.f("ck_scratch_status"), sql_in("status", ("a", "b", "c"))
            )

        assert table_triggers(connection, "scratch") == triggers
        refused(connection, "DELETE FROM scratch WHERE id = 1", "append-only")


def test_keep_triggers_refuses_to_finish_with_a_trigger_changed_or_gone(app):
    with migration(app) as (op, connection):
        scratch_table(op, connection)
        dialect = connection.dialect.name
        changed = pytest.raises(SchemaChangeRefused, match=r"changed \['scratch_no_delete'\]")
        with changed, keep_triggers(op, "scratch"):
            connection.exec_driver_sql(DROP_SCRATCH_GUARD[dialect])
            connection.exec_driver_sql(WEAKER_SCRATCH_GUARD[dialect])
        if dialect == "postgresql":
            lost = pytest.raises(SchemaChangeRefused, match=r"lost \['scratch_no_delete'\]")
            with lost, keep_triggers(op, "scratch"):
                connection.exec_driver_sql(DROP_SCRATCH_GUARD[dialect])


def test_a_check_the_stored_rows_break_changes_nothing(app):
    with migration(app) as (op, connection):
        scratch_table(op, connection)
        with pytest.raises(SchemaChangeRefused, match="1 rows of scratch do not meet"):
            replace_checks(op, "scratch", {"ck_scratch_status": sql_in("status", ("b",))})
        connection.exec_driver_sql("INSERT INTO scratch (id, status) VALUES (2, 'b')")
        refused(connection, "INSERT INTO scratch (id, status) VALUES (3, 'c')", "ck_scratch_status")


def test_a_check_that_is_not_there_is_not_replaced(app):
    with migration(app) as (op, connection):
        scratch_table(op, connection)
        with pytest.raises((SchemaChangeRefused, DBAPIError)):
            replace_checks(op, "scratch", {"ck_scratch_missing": "status <> ''"})


def test_the_check_is_found_by_its_name_and_its_own_parentheses():
    sql = (
        "CREATE TABLE t (a VARCHAR(8), b VARCHAR(8),"
        " CONSTRAINT ck_t_a CHECK (a IN ('(', 'x)') AND (length(a) > 0)),"
        " CONSTRAINT \"ck_t_b\" CHECK (b <> 'it''s)'))"
    )
    assert replace_check_in_create_table(sql, "ck_t_a", "a IN ('y')") == (
        "CREATE TABLE t (a VARCHAR(8), b VARCHAR(8),"
        " CONSTRAINT ck_t_a CHECK (a IN ('y')),"
        " CONSTRAINT \"ck_t_b\" CHECK (b <> 'it''s)'))"
    )
    assert replace_check_in_create_table(sql, "ck_t_b", "b <> 'z'").endswith(
        " CONSTRAINT \"ck_t_b\" CHECK (b <> 'z'))"
    )
    with pytest.raises(SchemaChangeRefused):
        replace_check_in_create_table(sql, "ck_t", "1 = 1")


def test_real_vocabularies_grow_under_rows_that_other_tables_refer_to(app, make):
    """Parcels and scans have rows that parcel events, lines and scans point to: a table
    rebuild would have to drop them under those references. The helper changes the CHECK
    in place, and the ledger and the scans stay append-only."""
    parcel = make.allocated_parcels(1)[0]
    record_scan(
        db.session,
        ScanInput(code=parcel.short_code, action="pack", idempotency_key="vocab-pack-1"),
        user=make.user("warehouse"),
    )
    db.session.commit()
    assert db.session.scalar(select(ParcelEvent.scan_id).where(ParcelEvent.scan_id.is_not(None)))
    statuses = ("allocated", "packed", "dispatched", "delivered", "failed", "returned", "cancelled")
    actions = ("pack", "load", "deliver", "fail", "return")
    with migration(app) as (op, connection):
        guards = {t: table_triggers(connection, t) for t in ("scans", "stock_movements")}
        replace_checks(
            op, "parcels", {"ck_parcels_status": sql_in("status", (*statuses, "handed_over"))}
        )
        replace_checks(
            op,
            "scans",
            {"ck_scans_action": sql_in("action", (*actions, "hand_over"))},
        )
        connection.exec_driver_sql("UPDATE parcels SET status = 'handed_over'")
        refused(connection, "UPDATE parcels SET status = 'lost_at_sea'", "ck_parcels_status")
        refused(connection, "UPDATE scans SET action = 'hand_over'", "append-only")
        refused(connection, "DELETE FROM scans", "append-only")
        refused(connection, "UPDATE stock_movements SET quantity = 1000", "append-only")
        refused(connection, "DELETE FROM stock_movements", "append-only")
        assert {t: table_triggers(connection, t) for t in guards} == guards
    db.session.rollback()
    assert db.session.scalar(select(Scan.action)) == "pack"
    assert db.session.scalar(select(Parcel.status)) == "packed"
