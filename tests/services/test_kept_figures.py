"""The kept figures (kitlog.models.figures) are what the rows give, whatever writes the
rows: the services, a script's plain SQL, two transactions at once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kitlog.extensions import db
from kitlog.models import DonorHouseholdFigures, LedgerTotal, ParcelKitTotal
from kitlog.services.kept_figures import kept_figures_problems
from kitlog.services.locking import begin_write
from tests.worlds import ReportWorld

THREADS = 8


def test_a_parcel_drawing_on_two_batches_of_one_donor_counts_once_for_it(make):
    world = ReportWorld(make)
    world.play()
    db.session.commit()
    both = world.p[4]  # lots A and B, both KOICA's; failed, still on the road
    assert {line.batch_id for line in both.lines} == {world.a.id, world.b.id}
    kept = db.session.get(DonorHouseholdFigures, (world.koica.id, both.household_id))
    assert kept is not None
    assert (kept.live_parcels, kept.failed_parcels, kept.failed_once_parcels) == (1, 1, 1)
    assert kept_figures_problems(db.session) == []


def test_plain_sql_keeps_them_too_and_a_rollback_takes_them_back(make):
    batch = make.batch(received=10)
    parcel = make.allocated_parcels(1)[0]
    db.session.commit()
    db.session.execute(
        text(
            "INSERT INTO stock_movements (batch_id, warehouse_id, kind, quantity, reason,"
            " created_at) VALUES (:b, :w, 'loss', -2, 'spilled', :at)"
        ),
        {"b": batch.id, "w": batch.warehouse_id, "at": parcel.created_at},
    )
    db.session.execute(text("UPDATE parcels SET status = 'packed' WHERE id = :p"), {"p": parcel.id})
    assert kept_figures_problems(db.session) == []
    loss = db.session.get(LedgerTotal, (batch.id, batch.warehouse_id, "loss", "spilled"))
    assert loss is not None and loss.quantity == -2
    db.session.rollback()
    assert db.session.get(LedgerTotal, (batch.id, batch.warehouse_id, "loss", "spilled")) is None
    assert kept_figures_problems(db.session) == []


@pytest.mark.postgresql_only
def test_concurrent_transactions_on_the_same_figure_lose_no_update(app, make):
    """Eight transactions at once, none taking kitlog's locks: each adds a movement to the
    same ledger total and packs its own parcel of the same batch, and holds its
    transaction open a moment after writing. Adding in place (x = x + n) makes the later
    ones wait for the row and count; a figure read and written back would lose updates."""
    parcels = make.allocated_parcels(THREADS)
    batch_id = parcels[0].lines[0].batch_id
    warehouse_id = parcels[0].round.warehouse_id
    created = parcels[0].created_at
    ids = [p.id for p in parcels]
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(parcel_id: int) -> None:
        with app.app_context():
            session = Session(db.engine)
            try:
                barrier.wait(timeout=30)
                begin_write(session)
                session.execute(
                    text(
                        "INSERT INTO stock_movements (batch_id, warehouse_id, kind, quantity,"
                        " reason, created_at) VALUES (:b, :w, 'adjustment', 1, 'count', :at)"
                    ),
                    {"b": batch_id, "w": warehouse_id, "at": created},
                )
                session.execute(
                    text("UPDATE parcels SET status = 'packed' WHERE id = :p"), {"p": parcel_id}
                )
                time.sleep(0.05)  # the others reach the same rows meanwhile
                session.commit()
                result = "ok"
            except Exception as error:  # noqa: BLE001 - reported in the assertion
                session.rollback()
                result = f"error: {error!r}"
            finally:
                session.close()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["ok"] * THREADS, outcomes
    db.session.rollback()
    adjusted = db.session.get(LedgerTotal, (batch_id, warehouse_id, "adjustment", ""))
    assert adjusted is not None and (adjusted.quantity, adjusted.movements) == (8, 8)
    packed = db.session.scalar(
        select(ParcelKitTotal.kits).where(
            ParcelKitTotal.batch_id == batch_id, ParcelKitTotal.status == "packed"
        )
    )
    assert packed == THREADS
    assert kept_figures_problems(db.session) == []
