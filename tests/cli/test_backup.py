"""`kitlog backup` and `kitlog restore`: a restored backup reconciles and serves the reports
of the moment it was taken; nothing is overwritten or replaced by mistake."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from kitlog.extensions import db
from kitlog.models import Donor, Parcel, ParcelStatus
from kitlog.services import stock
from kitlog.services.backup import pg_connection
from kitlog.services.reports import donor_report
from tests.worlds import T0, ScanWorld

TODAY = date(2026, 12, 10)
ZONE = "Asia/Jakarta"


def figures() -> tuple:
    """What the donor and the stock pages serve now, read afresh from the database."""
    db.session.commit()  # ends our transaction and expires what the session remembers
    koica = db.session.scalar(select(Donor).where(Donor.code == "KOICA"))
    report = donor_report(db.session, koica, today=TODAY, timezone=ZONE, now=T0)
    return dataclasses.replace(report, donor=None), stock.batch_summaries(db.session)


def status_of(parcel_id: int) -> str:
    db.session.commit()
    return db.session.get(Parcel, parcel_id).status


@pytest.fixture
def w(make) -> ScanWorld:
    """SBY-01's round with three parcels on the road (two delivered) and one packed, and
    kits transferred from Jakarta to Surabaya."""
    world = ScanWorld(make)
    jakarta = make.warehouse("JKT-01")
    stock.transfer_stock(
        db.session,
        batch=make.batch(received=20, warehouse=jakarta),
        from_warehouse=jakarta,
        to_warehouse=world.warehouse,
        quantity=8,
        user=world.budi,
        now=T0,
    )
    db.session.commit()
    first, second, third, fourth = world.parcels
    world.on_the_road([first, second, third])
    world.scan(first, "deliver", at=T0 + timedelta(hours=2))
    world.scan(second, "deliver", at=T0 + timedelta(days=1))
    world.scan(fourth, "pack")
    return world


def test_a_restored_backup_reconciles_and_serves_the_reports_of_its_time(w, runner, tmp_path):
    at_backup = figures()
    assert at_backup[0].parcels_delivered == 2
    path = tmp_path / "kitlog.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"to {path} (" in result.output and path.stat().st_size > 0
    # the programme goes on after the backup: a third delivery
    third = w.parcels[2]
    w.scan(third, "deliver", at=T0 + timedelta(days=2))
    assert figures() != at_backup and status_of(third.id) == ParcelStatus.DELIVERED

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "All 2 batches reconcile." in result.output
    assert figures() == at_backup
    assert status_of(third.id) == ParcelStatus.DISPATCHED  # the later delivery is gone
    assert stock.reconciliation_problems(db.session) == []
    # the restored database takes new work: the delivery can be made again
    assert w.scan(third, "deliver").outcome == "ok"
    assert stock.reconciliation_problems(db.session) == []


def test_a_backup_never_overwrites_a_file_unless_forced(w, runner, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    path = folder / "kitlog.backup"
    path.write_bytes(b"last week's backup")
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert path.read_bytes() == b"last week's backup"
    result = runner.invoke(args=["backup", str(path), "--force"])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() != b"last week's backup"
    assert path.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only
    assert [p.name for p in folder.iterdir()] == ["kitlog.backup"]  # no temporary left


def test_restore_asks_first_and_a_no_changes_nothing(w, runner, tmp_path):
    path = tmp_path / "kitlog.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    third = w.parcels[2]
    w.scan(third, "deliver")
    result = runner.invoke(args=["restore", str(path)], input="n\n")
    assert result.exit_code == 1
    assert "Replace everything in" in result.output and "Aborted" in result.output
    assert status_of(third.id) == ParcelStatus.DELIVERED


def test_a_file_that_is_no_backup_is_refused_and_the_database_stays(w, runner, tmp_path):
    at_start = figures()
    path = tmp_path / "notes.backup"
    path.write_text("NIK;name\n3507120101850001;Siti\n")
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 1
    assert "Restored" not in result.output
    assert figures() == at_start
    assert stock.reconciliation_problems(db.session) == []


@pytest.fixture
def sqlite_only(db_backend) -> None:
    if db_backend != "sqlite":
        pytest.skip("SQLite's online backup")


def test_sqlite_backup_copies_what_is_committed_while_a_writer_holds_its_transaction(
    sqlite_only, w, runner, tmp_path
):
    database = db.engine.url.database
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE donors SET name = 'not committed'")
    try:
        path = tmp_path / "kitlog.backup"
        result = runner.invoke(args=["backup", str(path)])
        assert result.exit_code == 0, result.output
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("SELECT name FROM donors").fetchall() == [("Donor KOICA",)]
        assert copy.execute("SELECT count(*) FROM parcels").fetchone() == (4,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    finally:
        copy.close()
    assert db.session.execute(text("SELECT count(*) FROM scans")).scalar() > 0


def test_pg_dump_gets_the_password_through_its_environment_never_its_arguments():
    conninfo, env = pg_connection(
        "postgresql+psycopg://kitlog:s3cr%27t@db.internal:5433/kitlog?sslmode=require"
    )
    assert conninfo == (
        "host='db.internal' port='5433' user='kitlog' dbname='kitlog' sslmode='require'"
    )
    assert env["PGPASSWORD"] == "s3cr't"
    socket, _env = pg_connection("postgresql+psycopg://kitlog@/kit'log?host=/run/postgresql")
    assert socket == r"user='kitlog' dbname='kit\'log' host='/run/postgresql'"


def test_backup_and_restore_say_in_their_help_what_a_backup_holds_and_when_to_stop(runner):
    backup_help = " ".join(runner.invoke(args=["backup", "--help"]).output.split())
    assert "personal data" in backup_help and "encrypted" in backup_help
    restore_help = " ".join(runner.invoke(args=["restore", "--help"]).output.split())
    assert "Stop kitlog first" in restore_help
