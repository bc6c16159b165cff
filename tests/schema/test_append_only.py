"""After `kitlog db upgrade`, the ledger, the scans, the audit log and the parcels' lines
are append-only in the database itself (rule 5 of docs/design.md), on SQLite and on
PostgreSQL. (The ledger's and the lines' other trigger keeps the figures the reports
read: kitlog.kept_figures.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from kitlog.extensions import db
from kitlog.models import AuditEvent, ParcelLine, Scan, StockMovement
from kitlog.schema import table_triggers
from kitlog.services import audit
from kitlog.services.scans import ScanInput, record_scan

TRIGGERS = {
    "sqlite": {
        "stock_movements": {
            "stock_movements_no_update",
            "stock_movements_no_delete",
            "stock_movements_kept_figures",
        },
        "scans": {"scans_no_update", "scans_no_delete"},
        "audit_events": {"audit_events_no_update", "audit_events_no_delete"},
        "parcel_lines": {
            "parcel_lines_no_update",
            "parcel_lines_no_delete",
            "parcel_lines_kept_figures",
        },
    },
    "postgresql": {
        "stock_movements": {"stock_movements_no_update_delete", "stock_movements_kept_figures"},
        "scans": {"scans_no_update", "scans_no_delete"},
        "audit_events": {"audit_events_no_update_delete"},
        "parcel_lines": {"parcel_lines_no_update_delete", "parcel_lines_kept_figures"},
    },
}

REFUSED = [
    ("stock_movements", "UPDATE stock_movements SET quantity = 1000"),
    ("stock_movements", "UPDATE stock_movements SET reason = 'rewritten'"),
    ("stock_movements", "DELETE FROM stock_movements"),
    ("scans", "UPDATE scans SET action = 'deliver'"),
    ("scans", "UPDATE scans SET outcome = 'refused', status_code = 409"),
    ("scans", "DELETE FROM scans"),
    ("audit_events", "UPDATE audit_events SET detail = '{}'"),
    ("audit_events", "DELETE FROM audit_events"),
    ("parcel_lines", "UPDATE parcel_lines SET kits = kits + 1"),
    ("parcel_lines", "DELETE FROM parcel_lines"),
]
MODELS = {
    "stock_movements": StockMovement,
    "scans": Scan,
    "audit_events": AuditEvent,
    "parcel_lines": ParcelLine,
}


def test_kitlog_db_upgrade_creates_the_append_only_triggers(runner, db_backend):
    for command in (["db", "downgrade", "base"], ["db", "upgrade"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with db.engine.connect() as connection:
        found = {table: set(table_triggers(connection, table)) for table in TRIGGERS[db_backend]}
    assert found == TRIGGERS[db_backend]


@pytest.fixture
def one_row_each(make):
    """A receipt in the ledger, a pack scan and an audit event."""
    parcel = make.allocated_parcels(1)[0]
    record_scan(
        db.session,
        ScanInput(code=parcel.short_code, action="pack", idempotency_key="append-only-1"),
        user=make.user("warehouse"),
    )
    audit.record(db.session, "parcel.cancel", user=make.user("admin"), object_ref="ABC")
    db.session.commit()


@pytest.mark.parametrize(("table", "statement"), REFUSED)
def test_the_database_refuses_to_rewrite_or_delete(one_row_each, table, statement):
    before = db.session.scalar(select(func.count()).select_from(MODELS[table]))
    assert before >= 1
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MODELS[table])) == before


def test_the_anonymisation_may_still_clear_a_scans_personal_data(one_row_each):
    db.session.execute(text("UPDATE scans SET recipient_name = '', note = '', lat = NULL"))
    db.session.commit()
    assert db.session.scalar(select(Scan.action)) == "pack"
