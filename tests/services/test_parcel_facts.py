"""parcels.delivered_at and parcels.failed_once, recorded when the status changes, say what
the events and the scans say: the moment of the last delivery (the delivering scan's
device time, else when the delivery was recorded) and whether the parcel ever failed.
Migration 0007 computes the same values for the parcels it finds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, update

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelEvent, ParcelStatus, Scan
from tests.worlds import T0, ScanWorld


def utc(moment: datetime | None) -> datetime | None:
    """SQLite gives the stored UTC instant back without its offset."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def from_events(parcel: Parcel) -> tuple[datetime | None, bool]:
    """What the events and scans say: the last delivered event's scan's device time, else
    the event's time, while the parcel is delivered; and whether any event is a failure."""
    rows = db.session.execute(
        select(ParcelEvent.status, ParcelEvent.created_at, Scan.scanned_at)
        .outerjoin(Scan, Scan.id == ParcelEvent.scan_id)
        .where(ParcelEvent.parcel_id == parcel.id)
        .order_by(ParcelEvent.id)
    ).all()
    delivered = [scanned or created for status, created, scanned in rows if status == "delivered"]
    moment = delivered[-1] if parcel.status == ParcelStatus.DELIVERED else None
    return utc(moment), any(status == "failed" for status, _c, _s in rows)


def facts(parcel_id: int) -> tuple[datetime | None, bool]:
    parcel = db.session.get(Parcel, parcel_id, populate_existing=True)
    return utc(parcel.delivered_at), parcel.failed_once


def journeys(make) -> tuple[ScanWorld, list[Parcel]]:
    """Six parcels: delivered online, delivered offline (the phone's earlier time), failed
    then delivered offline, failed, failed then returned, and one still on the shelf."""
    w = ScanWorld(make, households=6)
    online, offline, second_visit, failed, returned, shelf = w.parcels
    w.on_the_road([online, offline, second_visit, failed, returned], at=T0)
    w.scan(online, "deliver", at=T0 + timedelta(hours=1), recipient_name="Agus")
    w.scan(
        offline,
        "deliver",
        at=T0 + timedelta(hours=6),
        scanned_at=T0 + timedelta(hours=2),
        recipient_name="Sri",
    )
    for parcel in (second_visit, failed, returned):
        w.scan(parcel, "fail", at=T0 + timedelta(hours=1), reason="nobody_home")
    w.scan(
        second_visit,
        "deliver",
        at=T0 + timedelta(days=1, hours=4),
        scanned_at=T0 + timedelta(days=1),
        recipient_name="Tini",
    )
    w.scan(returned, "return", at=T0 + timedelta(days=1))
    return w, w.parcels


def test_each_path_records_what_its_events_and_scans_say(make):
    w, (online, offline, second_visit, failed, returned, shelf) = journeys(make)
    assert facts(online.id) == (T0 + timedelta(hours=1), False)
    assert facts(offline.id) == (T0 + timedelta(hours=2), False)  # the phone's time
    assert facts(second_visit.id) == (T0 + timedelta(days=1), True)
    assert facts(failed.id) == (None, True)
    assert facts(returned.id) == (None, True)
    assert facts(shelf.id) == (None, False)
    for parcel in w.parcels:
        assert facts(parcel.id) == from_events(parcel), parcel.status


def test_the_migration_backfills_the_same_values(make):
    _w, parcels = journeys(make)
    ids = [p.id for p in parcels]
    recorded = [facts(i) for i in ids]
    assert recorded == [from_events(p) for p in parcels]
    # A delivered parcel whose delivery left no event: the parcel's last change.
    db.session.execute(
        update(Parcel)
        .where(Parcel.id == ids[5])
        .values(status=ParcelStatus.DELIVERED, updated_at=T0 + timedelta(days=3))
    )
    db.session.commit()
    db.session.close()
    downgrade(revision="0006")
    upgrade()
    after = [facts(i) for i in ids]
    assert after == [*recorded[:5], (T0 + timedelta(days=3), False)]
