"""SQLite lets one writer in at a time: past the busy timeout a write answers 503 with
Retry-After and a clear message, and changes nothing."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import func, select

from kitlog import create_app
from kitlog.extensions import db
from kitlog.models import AuditEvent, StockMovement
from tests.conftest import IsolatedClient


@pytest.fixture
def impatient_app(app, database_url, db_backend, tmp_path):
    if db_backend != "sqlite":
        pytest.skip("the database-wide write lock is SQLite's")
    busy = create_app(
        {"DATABASE_URL": database_url, "SQLITE_BUSY_TIMEOUT_MS": 200},
        instance_path=str(tmp_path / "busy"),
    )
    busy.test_client_class = IsolatedClient
    return busy


def test_a_write_waiting_too_long_for_the_lock_is_503_and_changes_nothing(
    impatient_app, make, database_url
):
    jakarta, surabaya = make.warehouse("JKT-01"), make.warehouse("SBY-01")
    batch = make.batch(received=10, warehouse=jakarta)
    token = make.token(make.user("warehouse"))
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with impatient_app.app_context():
            client = impatient_app.test_client()
            headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
            body = {
                "batch": batch.id,
                "from_warehouse": jakarta.code,
                "to_warehouse": surabaya.code,
                "quantity": 1,
            }
            response = client.post("/api/v1/transfers", json=body, headers=headers)
            reading = client.get("/api/v1/stock", headers=headers)  # readers still read
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "application/problem+json"
    assert "try again" in response.get_json()["detail"]
    assert reading.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 1


def test_looking_at_a_household_while_another_writer_commits_is_logged_not_refused(
    app, make, database_url, db_backend, client, auth
):
    """The look is written in a transaction of its own: the page's read-only transaction
    saw the database before the other writer committed, and on SQLite it could not have
    become a writer afterwards."""
    if db_backend != "sqlite":
        pytest.skip("the database-wide write lock is SQLite's")
    household = make.household()
    auth.login("field")
    holder = sqlite3.connect(
        database_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
    )
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE households SET members = members WHERE id = ?", (household.id,))
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        response = client.get(f"/households/{household.code}")
    finally:
        release.join()
        holder.close()
    assert response.status_code == 200
    db.session.rollback()
    looks = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "household.view", AuditEvent.object_ref == household.code
        )
    ).all()
    assert len(looks) == 1
