"""Rule 1 under concurrency: two people acting at the same instant never oversell a batch.

Each thread has its own database session and connection, and all of them start together
behind a barrier. On PostgreSQL the batch row lock serialises them; on SQLite, BEGIN
IMMEDIATE does.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from kitlog.extensions import db
from kitlog.models import DonorBatch, Warehouse
from kitlog.services import stock
from kitlog.services.errors import OutOfStock
from kitlog.services.locking import begin_write


def _race(app, workers: int, action) -> list[str]:
    """Run `action(session)` in `workers` threads at once; return each one's outcome."""
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work():
        with app.app_context():
            session = Session(db.engine)
            try:
                barrier.wait(timeout=30)
                begin_write(session)  # as every write request does before its first query
                action(session)
                session.commit()
                result = "ok"
            except OutOfStock:
                session.rollback()
                result = "out_of_stock"
            except Exception as error:  # noqa: BLE001 - reported in the assertion
                session.rollback()
                result = f"error: {error!r}"
            finally:
                session.close()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_eight_concurrent_transfers_never_oversell(app, make):
    jakarta = make.warehouse("JKT-01")
    surabaya = make.warehouse("SBY-01")
    batch = make.batch(received=100, warehouse=jakarta)
    ids = (batch.id, jakarta.id, surabaya.id)

    def transfer(session: Session):
        stock.transfer_stock(
            session,
            batch=session.get(DonorBatch, ids[0]),
            from_warehouse=session.get(Warehouse, ids[1]),
            to_warehouse=session.get(Warehouse, ids[2]),
            quantity=30,
            user=None,
        )

    outcomes = _race(app, 8, transfer)
    assert sorted(outcomes) == ["ok"] * 3 + ["out_of_stock"] * 5, outcomes
    db.session.rollback()  # end the read snapshot taken before the race
    levels = {lvl.warehouse_id: lvl.on_hand for lvl in stock.stock_levels(db.session)}
    assert levels == {jakarta.id: 10, surabaya.id: 90}
    assert stock.reconciliation_problems(db.session) == []


def test_concurrent_losses_and_transfers_never_take_stock_below_zero(app, make):
    jakarta = make.warehouse("JKT-01")
    surabaya = make.warehouse("SBY-01")
    batch = make.batch(received=50, warehouse=jakarta)
    ids = (batch.id, jakarta.id, surabaya.id)
    counter = iter(range(100))
    counter_lock = threading.Lock()

    def act(session: Session):
        with counter_lock:
            n = next(counter)
        b, src = session.get(DonorBatch, ids[0]), session.get(Warehouse, ids[1])
        if n % 2:
            stock.adjust_stock(
                session,
                batch=b,
                warehouse=src,
                quantity=-20,
                kind="loss",
                reason="rain",
                user=None,
            )
        else:
            stock.transfer_stock(
                session,
                batch=b,
                from_warehouse=src,
                to_warehouse=session.get(Warehouse, ids[2]),
                quantity=20,
                user=None,
            )

    outcomes = _race(app, 8, act)
    assert outcomes.count("ok") == 2, outcomes
    assert outcomes.count("out_of_stock") == 6, outcomes
    db.session.rollback()  # end the read snapshot taken before the race
    level = stock.stock_level(db.session, batch_id=ids[0], warehouse_id=ids[1])
    assert level.on_hand == 10
    assert stock.reconciliation_problems(db.session) == []


@pytest.mark.postgresql_only
def test_row_lock_is_what_serialises_writers_on_postgresql(app, make):
    """A second transaction that wants the same batch waits for the first to finish."""
    import time

    from kitlog.services.locking import lock_batches

    batch = make.batch(received=10)
    first = Session(db.engine)
    lock_batches(first, [batch.id])
    waited: list[float] = []

    def second():
        with app.app_context():
            session = Session(db.engine)
            start = time.monotonic()
            lock_batches(session, [batch.id])
            waited.append(time.monotonic() - start)
            session.rollback()
            session.close()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert waited == []  # still blocked behind the first transaction's lock
    first.rollback()
    first.close()
    thread.join(timeout=10)
    assert waited and waited[0] >= 0.4
