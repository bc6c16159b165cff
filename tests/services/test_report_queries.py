"""The summary queries behind the donor report and the stock pages: reshaped
into fewer GROUP BYs, they must give the same figures as the per-status sums."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from kitlog.extensions import db
from kitlog.models import ParcelEvent, ParcelStatus
from kitlog.services import stock
from tests.worlds import ZONE, ReportWorld, report


@pytest.fixture
def world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def test_batch_summaries_hold_the_reserved_and_delivered_kits_of_the_parcels(world):
    summaries = stock.batch_summaries(db.session)
    reserved: dict[int, int] = defaultdict(int)
    for (_warehouse, batch_id), kits in stock.reserved_quantities(db.session).items():
        reserved[batch_id] += kits
    delivered = stock.parcel_kits(db.session, [ParcelStatus.DELIVERED])
    assert {b: s.reserved for b, s in summaries.items() if s.reserved} == dict(reserved)
    assert {b: s.delivered for b, s in summaries.items() if s.delivered} == delivered
    # the scenario has kits on shelves and kits delivered, in more than one batch
    assert len(reserved) >= 2 and len(delivered) >= 2
    assert stock.reconciliation_problems(db.session) == []


def test_ledger_summaries_are_batch_summaries_without_the_parcels(world):
    ids = [world.a.id, world.b.id]
    full = stock.batch_summaries(db.session, ids)
    ledger = stock.ledger_summaries(db.session, ids)
    assert set(ledger) == set(ids)
    for batch_id in ids:
        f, g = full[batch_id], ledger[batch_id]
        assert (g.received, g.adjusted, g.lost, g.on_hand, g.dispatched, g.returned) == (
            f.received,
            f.adjusted,
            f.lost,
            f.on_hand,
            f.dispatched,
            f.returned,
        )
        assert g.by_warehouse == f.by_warehouse
        assert (g.reserved, g.delivered) == (0, 0)
    assert full[world.a.id].delivered > 0 and full[world.b.id].reserved > 0


def test_a_delivery_without_a_scan_counts_on_its_event_day_else_its_last_change(world):
    """A delivery recorded without a scan (no device time) falls on the day its event was
    recorded; a delivered parcel with no delivered event at all, on its last change."""
    q = world.q  # DFAT's parcels, one kit each; q[0] delivered by scan on 3 Dec
    recorded = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)  # 6 Dec in Jakarta
    changed = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 7 Dec in Jakarta
    for parcel, at in ((q[2], recorded), (q[3], changed)):
        db.session.execute(
            text("UPDATE parcels SET status = 'delivered', updated_at = :at WHERE id = :id"),
            {"at": at, "id": parcel.id},
        )
    db.session.add(
        ParcelEvent(
            parcel_id=q[2].id, from_status="dispatched", status="delivered", created_at=recorded
        )
    )
    db.session.commit()
    r = report(world.dfat)
    assert [(d.date, d.delivered, d.cumulative) for d in r.timeline] == [
        (date(2026, 12, 3), 1, 1),
        (date(2026, 12, 6), 1, 2),
        (date(2026, 12, 7), 1, 3),
    ]
    assert r.timezone == ZONE and r.parcels_delivered == 3 and r.delivered == 3
