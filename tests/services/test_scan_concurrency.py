"""Rule 3 under concurrency: eight phones delivering one parcel at the same instant give
exactly one delivery; eight replays of one idempotency key at once record one scan.

Each thread has its own session and connection; all start together behind a barrier.
On PostgreSQL the parcel's row lock serialises them, and the unique key catches a twin.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelEvent, ParcelStatus, Scan, User
from kitlog.services.locking import begin_write
from kitlog.services.scans import ScanInput, record_scan
from tests.worlds import T0, ScanWorld

pytestmark = pytest.mark.postgresql_only

THREADS = 8


def _race(app, inputs: list[ScanInput], user_id: int) -> list[tuple]:
    """Record each scan in its own thread and session, all at once; return the answers."""
    barrier = threading.Barrier(len(inputs))
    answers: list[tuple] = []
    lock = threading.Lock()

    def work(data: ScanInput):
        with app.app_context():
            session = Session(db.engine)
            try:
                user = session.get(User, user_id)
                barrier.wait(timeout=30)
                begin_write(session)
                result = record_scan(session, data, user=user, now=T0)
                answer = (result.outcome, result.status, result.scan.id)
                session.commit()
            except Exception as error:  # noqa: BLE001 - reported in the assertion
                session.rollback()
                answer = ("error", repr(error), None)
            finally:
                session.close()
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=work, args=(data,)) for data in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.fixture
def parcel_on_the_road(make):
    w = ScanWorld(make, households=1)
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    return w, parcel


def _scans_with(key: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Scan).where(Scan.idempotency_key == key)
    )


def _delivered_events(parcel_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ParcelEvent)
        .where(ParcelEvent.parcel_id == parcel_id, ParcelEvent.status == ParcelStatus.DELIVERED)
    )


def test_eight_concurrent_deliveries_of_one_parcel_deliver_it_once(app, parcel_on_the_road):
    w, parcel = parcel_on_the_road
    inputs = [
        ScanInput(code=parcel.short_code, action="deliver", idempotency_key=f"phone-{n}-key")
        for n in range(THREADS)
    ]
    answers = _race(app, inputs, w.siti.id)
    outcomes = sorted((outcome, status) for outcome, status, _id in answers)
    assert outcomes == [("ok", 200)] + [("refused", 409)] * (THREADS - 1), answers
    db.session.rollback()  # end the snapshot taken before the race
    assert db.session.get(Parcel, parcel.id).status == ParcelStatus.DELIVERED
    assert _delivered_events(parcel.id) == 1
    refused = db.session.scalars(select(Scan).where(Scan.outcome == "refused")).all()
    assert len(refused) == THREADS - 1
    assert all(
        s.detail.startswith("Already delivered") or "Siti Rahayu" in s.detail for s in refused
    )


def test_eight_concurrent_replays_of_one_key_record_one_scan(app, parcel_on_the_road):
    w, parcel = parcel_on_the_road
    data = ScanInput(code=parcel.short_code, action="deliver", idempotency_key="one-key-8-phones")
    answers = _race(app, [data] * THREADS, w.siti.id)
    outcomes = sorted((outcome, status) for outcome, status, _id in answers)
    assert outcomes == [("duplicate", 200)] * (THREADS - 1) + [("ok", 200)], answers
    assert len({scan_id for _o, _s, scan_id in answers}) == 1  # every answer is that scan's
    db.session.rollback()
    assert _scans_with("one-key-8-phones") == 1
    assert _delivered_events(parcel.id) == 1


def test_eight_concurrent_replays_of_an_unknown_code_record_one_scan(app, parcel_on_the_road):
    w, _parcel = parcel_on_the_road
    data = ScanInput(code="ABC-DEF-GHJ", action="deliver", idempotency_key="unknown-8-phones")
    answers = _race(app, [data] * THREADS, w.siti.id)
    outcomes = sorted((outcome, status) for outcome, status, _id in answers)
    # no parcel row to lock: the unique key alone turns the twins into duplicates
    assert outcomes == [("duplicate", 404)] * (THREADS - 1) + [("unknown", 404)], answers
    db.session.rollback()
    assert _scans_with("unknown-8-phones") == 1
