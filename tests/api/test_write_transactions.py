"""On SQLite an API write begins as a writer (BEGIN IMMEDIATE) before any query runs,
even the bearer token lookup, so it never decides on a snapshot another writer made stale.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from kitlog.extensions import db


@pytest.fixture
def statements(db_backend):
    if db_backend != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL locks the batch rows")
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/transfers", lambda w: w.transfer_body()),
        ("/api/v1/adjustments", lambda w: w.adjustment_body()),
        ("/api/v1/batches", lambda w: w.batch_body()),
        ("/api/v1/donors", lambda w: {"code": "ECHO", "name": "ECHO"}),
    ],
)
def test_an_api_write_begins_immediate_before_its_first_query(api, world, statements, path, body):
    client, data = api("admin"), body(world)
    statements.clear()
    response = client.post(path, json=data)
    assert response.status_code == 201
    assert statements[0] == "BEGIN IMMEDIATE", statements[:3]
    assert any("api_tokens" in s for s in statements[1:]), "the token lookup comes after"


def test_a_refused_api_write_also_began_as_a_writer_and_rolled_back(api, world, statements):
    client = api("warehouse")
    statements.clear()
    response = client.post("/api/v1/transfers", json=world.transfer_body(quantity=999))
    assert response.status_code == 409
    assert statements[0] == "BEGIN IMMEDIATE"


def test_an_api_read_begins_as_a_reader(api, world, statements):
    client = api("warehouse")
    statements.clear()
    assert client.get("/api/v1/stock").status_code == 200
    assert statements[0] == "BEGIN DEFERRED"


def test_a_scan_in_a_transaction_that_began_as_a_reader_takes_the_write_lock(make, statements):
    """SQLite: a transaction that has only read so far must take the write lock before it
    reads the parcel it will change (lock_parcels and the scan share the way it does)."""
    from kitlog.models import Parcel
    from kitlog.services import scans
    from kitlog.services.distribution import parcel_condition

    parcel = make.allocated_parcels(1)[0]
    db.session.commit()
    db.session.get(Parcel, parcel.id)  # the transaction begins as a reader
    statements.clear()
    locked = scans._lock_for_scan(db.session, parcel_condition(parcel.short_code))
    assert locked.id == parcel.id
    assert statements[0].startswith("UPDATE parcels SET id=parcels.id WHERE parcels.short_code")
    db.session.rollback()
    statements.clear()
    db.session.get(Parcel, parcel.id)
    scans.lock_parcels(db.session, [parcel.id])
    assert statements[-1].startswith("UPDATE parcels SET id=parcels.id WHERE parcels.id")
    db.session.rollback()
