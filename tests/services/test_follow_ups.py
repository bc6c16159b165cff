"""Follow-ups: parcels whose last attempt at the door failed and that are still owed, each
with every failed attempt's reason and time, read in one query; flagged after
FLAG_AFTER_FAILED_ATTEMPTS attempts; and put on the next manifest in one action, all or
nothing, through the table of parcel actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from kitlog.extensions import db
from kitlog.models import (
    ManifestStatus,
    MovementKind,
    ParcelStatus,
    RoundStatus,
    StockMovement,
)
from kitlog.services import day, manifests
from kitlog.services import follow_ups as service
from kitlog.services.errors import Conflict, InvalidValues
from kitlog.services.parcel_codes import format_short_code
from tests.worlds import T0, ScanWorld, events


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


def listed(**filters) -> list[service.FollowUp]:
    return service.follow_ups(db.session, **filters)


def put(w, manifest, parcels, *, at=None):
    moved = service.put_on_manifest(db.session, manifest, parcels, user=w.budi, now=at or T0)
    db.session.commit()
    return moved


def test_only_parcels_whose_last_attempt_failed_are_listed_with_their_attempts(w):
    nobody, moved, delivered_later, on_the_road = w.parcels
    w.on_the_road(w.parcels)
    w.scan(nobody, "fail", reason="nobody_home", scanned_at=T0 - timedelta(hours=2))
    w.scan(moved, "fail", reason="moved", scanned_at=T0)
    w.scan(delivered_later, "fail", reason="refused", scanned_at=T0)
    w.scan(delivered_later, "deliver", scanned_at=T0)
    items = listed()
    assert [i.code for i in items] == [
        format_short_code(p.short_code) for p in sorted([nobody, moved], key=lambda p: p.id)
    ]
    first = next(i for i in items if i.id == nobody.id)
    assert [(a.reason, a.at) for a in first.attempts] == [("nobody_home", T0 - timedelta(hours=2))]
    assert (first.status, first.round_name, first.warehouse) == ("failed", "Round 1", "SBY-01")
    assert first.household_code == nobody.household.code and first.village == "Sedayu"
    assert first.manifest is not None and not first.flagged


def test_a_failed_parcel_returned_to_stock_is_no_longer_a_follow_up(w):
    parcel = w.parcels[0]
    manifest = w.on_the_road([parcel])
    w.scan(parcel, "fail", reason="moved", scanned_at=T0)
    assert len(listed()) == 1
    manifests.close_manifest(db.session, manifest, user=w.admin, now=T0)
    db.session.commit()
    assert listed() == []


def test_the_list_filters_by_round_and_warehouse(w, make):
    other = make.warehouse("MLG-01", province="Jawa Timur", regency="Kota Malang")
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "fail", reason="moved", scanned_at=T0)
    assert [i.id for i in listed(round_id=w.round.id)] == [parcel.id]
    assert [i.id for i in listed(warehouse_id=w.warehouse.id)] == [parcel.id]
    assert listed(warehouse_id=other.id) == []
    assert listed(round_id=w.round.id + 1000) == []


def test_the_list_is_one_query_however_many_follow_ups(w):
    def count() -> int:
        seen: list[str] = []

        def record(_connection, _cursor, statement, *_args):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            db.session.expire_all()
            listed()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len([s for s in seen if s.lstrip().startswith("SELECT")])

    w.on_the_road(w.parcels)
    w.scan(w.parcels[0], "fail", reason="moved", scanned_at=T0)
    one = count()
    for parcel in w.parcels[1:]:
        w.scan(parcel, "fail", reason="nobody_home", scanned_at=T0)
    assert count() == one == 1


def test_follow_ups_go_on_the_next_manifest_in_one_action(w):
    a, b, c, _ = w.parcels
    first = w.on_the_road([a, b, c])
    w.scan(a, "fail", reason="nobody_home", scanned_at=T0)
    w.scan(b, "fail", reason="moved", scanned_at=T0)
    w.scan(c, "deliver", scanned_at=T0)
    returns_before = db.session.scalar(
        select(func.count(StockMovement.id)).where(StockMovement.kind == MovementKind.RETURN)
    )
    nxt = w.manifest()
    moved = put(w, nxt, [a, b], at=T0 + timedelta(hours=1))
    assert {p.id for p in moved} == {a.id, b.id}
    for parcel in (a, b):
        db.session.refresh(parcel)
        assert (parcel.status, parcel.manifest_id) == (ParcelStatus.PACKED, nxt.id)
        assert events(parcel)[-3:] == [
            ("failed", "returned"),
            ("returned", "packed"),
            ("packed", "packed"),
        ]
    returns = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.RETURN)
    ).all()
    assert len(returns) == returns_before + 1  # one movement per batch and trip
    assert returns[-1].quantity == 2 and returns[-1].manifest_id == first.id
    assert listed() == []
    # the first trip still reconciles: one delivered, two returned
    manifests.close_manifest(db.session, first, user=w.admin, now=T0 + timedelta(hours=2))
    db.session.commit()
    assert first.status == ManifestStatus.CLOSED
    w.dispatch(nxt)
    w.scan(a, "deliver", scanned_at=T0 + timedelta(days=1))
    assert a.status == ParcelStatus.DELIVERED


def test_one_parcel_that_may_not_go_keeps_every_parcel_where_it_was(w, make):
    a, b, *_ = w.parcels
    first = w.on_the_road([a, b])
    w.scan(a, "fail", reason="nobody_home", scanned_at=T0)
    w.scan(b, "fail", reason="moved", scanned_at=T0)
    w.scan(b, "deliver", scanned_at=T0 + timedelta(minutes=5))  # found after all
    nxt = w.manifest()
    with force_locale("en"), pytest.raises(Conflict) as refused:
        service.put_on_manifest(db.session, nxt, [a, b], user=w.budi, now=T0)
    db.session.rollback()
    assert [r["code"] for r in refused.value.extra["refused"]] == [format_short_code(b.short_code)]
    assert refused.value.extra["refused"][0]["reason"].startswith("Already delivered")
    db.session.refresh(a)
    assert (a.status, a.manifest_id) == (ParcelStatus.FAILED, first.id)


def test_the_manifest_must_be_open_and_of_the_parcels_warehouse(w, make):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "fail", reason="nobody_home", scanned_at=T0)
    other = make.warehouse("MLG-01", province="Jawa Timur", regency="Kota Malang")
    elsewhere = w.manifest(warehouse=other)
    with pytest.raises(Conflict) as refused:
        service.put_on_manifest(db.session, elsewhere, [parcel], user=w.budi, now=T0)
    db.session.rollback()
    assert "MLG-01" in refused.value.extra["refused"][0]["reason"]
    gone = w.manifest()
    manifests.cancel_manifest(db.session, gone, reason="No truck", user=w.budi, now=T0)
    db.session.commit()
    with pytest.raises(Conflict):
        service.put_on_manifest(db.session, gone, [parcel], user=w.budi, now=T0)
    db.session.rollback()
    with pytest.raises(InvalidValues):
        service.put_on_manifest(db.session, w.manifest(), [], user=w.budi, now=T0)
    db.session.rollback()
    assert [i.id for i in listed()] == [parcel.id]


def test_a_parcel_that_failed_three_times_is_flagged_as_on_the_dashboard(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    for attempt in range(day.FLAG_AFTER_FAILED_ATTEMPTS):
        w.scan(parcel, "fail", reason="nobody_home", scanned_at=T0 + timedelta(days=attempt))
        (item,) = listed()
        assert len(item.attempts) == attempt + 1
        assert item.flagged == (attempt + 1 >= service.FLAG_AFTER_FAILED_ATTEMPTS)
        if attempt + 1 < day.FLAG_AFTER_FAILED_ATTEMPTS:
            nxt = w.manifest()
            put(w, nxt, [parcel])
            w.dispatch(nxt)
    assert [p.id for p in day.flagged_parcels(db.session)] == [parcel.id]


def test_a_closed_round_refuses(w):
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "fail", reason="nobody_home", scanned_at=T0)
    nxt = w.manifest()
    w.round.status = RoundStatus.CLOSED  # closed without cancelling its parcels
    db.session.commit()
    with force_locale("en"), pytest.raises(Conflict) as refused:
        service.put_on_manifest(db.session, nxt, [parcel], user=w.budi, now=T0)
    db.session.rollback()
    assert "closed" in refused.value.extra["refused"][0]["reason"]
