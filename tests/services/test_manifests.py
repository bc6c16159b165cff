"""Manifests: numbered per warehouse and year; loading is all or nothing; dispatching
needs every parcel packed and issues the kits from the ledger in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import (
    Manifest,
    ManifestStatus,
    MovementKind,
    Parcel,
    ParcelStatus,
    Scan,
    StockMovement,
)
from kitlog.services import distribution as dist
from kitlog.services import manifests, stock
from kitlog.services.errors import Conflict, InvalidValues
from kitlog.services.parcel_codes import format_short_code
from tests.services.test_scans import T0, ScanWorld, events


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


def english(error) -> str:
    with force_locale("en"):
        return str(error.value)


def test_manifests_are_numbered_per_warehouse_and_local_year(w, make):
    jakarta = make.warehouse("JKT-01")
    numbers = [
        w.manifest().number,
        w.manifest().number,
        w.manifest(warehouse=jakarta).number,
        # 31 Dec 2026 18:00 UTC is already 2027 in Jakarta
        w.manifest(at=datetime(2026, 12, 31, 18, 0, tzinfo=UTC)).number,
        w.manifest().number,
    ]
    assert numbers == [
        "SBY-01/2026/0001",
        "SBY-01/2026/0002",
        "JKT-01/2026/0001",
        "SBY-01/2027/0001",
        "SBY-01/2026/0003",
    ]


def test_a_manifest_lists_every_bad_field_at_once(w):
    with pytest.raises(InvalidValues) as error:
        manifests.create_manifest(
            db.session,
            warehouse=None,
            destination="  ",
            vehicle="",
            driver_name="",
            driver_phone="+1 555 0100",
            parcels=["NOT-A-CODE"],
            user=w.budi,
        )
    fields = sorted(e.field for e in error.value.errors)
    assert fields == [
        "destination",
        "driver_name",
        "driver_phone",
        "parcels",
        "vehicle",
        "warehouse",
    ]


def test_the_driver_phone_is_cleaned_like_a_household_phone(w):
    manifest = w.manifest(driver_phone="0812-3456-7890", vehicle="  L  1234   AB ")
    assert manifest.driver_phone == "+6281234567890"
    assert manifest.vehicle == "L 1234 AB"


def test_listed_parcels_are_loaded_all_or_nothing(w):
    packed, allocated = w.parcels[:2]
    w.scan(packed, "pack")
    with pytest.raises(Conflict) as error:
        w.manifest([packed, allocated])
    assert format_short_code(allocated.short_code) in english(error)
    db.session.rollback()
    assert packed.manifest_id is None
    manifest = w.manifest([packed])
    assert packed.manifest_id == manifest.id
    assert events(packed)[-1] == ("packed", "packed")


def test_dispatch_needs_every_parcel_on_the_manifest_packed(w):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    manifest = w.manifest([first, second])
    dist.cancel_parcel(db.session, second, user=w.admin)  # cancelled after loading
    db.session.commit()
    with pytest.raises(Conflict) as error:
        w.dispatch(manifest)
    assert format_short_code(second.short_code) in english(error)
    db.session.rollback()
    assert manifest.status == ManifestStatus.OPEN and first.status == ParcelStatus.PACKED
    assert not db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.DISPATCH)
    ).all()


def test_an_empty_or_dispatched_manifest_cannot_be_dispatched(w):
    empty = w.manifest()
    with pytest.raises(Conflict) as error:
        w.dispatch(empty)
    assert english(error) == "Manifest SBY-01/2026/0001 has no parcels: load some first."
    db.session.rollback()
    manifest = w.on_the_road([w.parcels[0]])
    with pytest.raises(Conflict) as error:
        w.dispatch(manifest)
    assert "is dispatched: only an open manifest can be dispatched" in english(error)


def test_dispatch_issues_the_kits_per_batch_and_puts_every_parcel_on_the_road(w, make):
    second_batch = make.batch(received=10, warehouse=w.warehouse, lot="LOT-T")
    round_ = dist.create_round(
        db.session,
        name="Round 2",
        batches=[w.batch, second_batch],
        warehouse=w.warehouse,
        entitlement=3,
        user=w.admin,
    )
    dist.open_round(db.session, round_, user=w.admin)
    # reserve most of the first batch so that round 2 draws on both
    for _ in range(14):
        make.household()
    result = dist.allocate(db.session, round_, user=w.admin, now=T0)
    db.session.commit()
    parcels = [p for p in round_parcels(round_.id)][:17]
    assert result.allocated == 18  # 4 + 14 households, 3 kits each: 54 > 46 left in LOT-S
    for parcel in parcels:
        w.scan(parcel, "pack")
    manifest = w.manifest(parcels)
    w.dispatch(manifest)
    movements = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.DISPATCH)
    ).all()
    by_batch = {m.batch_id: m.quantity for m in movements}
    expected: dict[int, int] = {}
    for parcel in parcels:
        for line in parcel.lines:
            expected[line.batch_id] = expected.get(line.batch_id, 0) - line.kits
    assert by_batch == expected and sum(by_batch.values()) == -51
    assert {m.manifest_id for m in movements} == {manifest.id}
    assert all(m.warehouse_id == w.warehouse.id for m in movements)
    assert {p.status for p in parcels} == {ParcelStatus.DISPATCHED}
    assert all(events(p)[-1] == ("packed", "dispatched") for p in parcels)
    assert manifest.status == ManifestStatus.DISPATCHED
    assert manifest.dispatched_by_id == w.budi.id and manifest.dispatched_at is not None
    summaries = stock.batch_summaries(db.session)
    assert sum(s.in_transit for s in summaries.values()) == 51
    assert stock.reconciliation_problems(db.session) == []


def round_parcels(round_id):
    return db.session.scalars(
        select(Parcel).where(Parcel.round_id == round_id).order_by(Parcel.id)
    ).all()


def test_manifest_counts_and_parcels_list_what_is_on_board(w):
    first, second = w.parcels[:2]
    manifest = w.on_the_road([first, second])
    w.scan(first, "deliver")
    counts = manifests.manifest_counts(db.session, [manifest.id])[manifest.id]
    assert (counts["parcels"], counts["kits"], counts["delivered"], counts["dispatched"]) == (
        2,
        2,
        1,
        1,
    )
    assert {p.id for p in manifests.manifest_parcels(db.session, manifest)} == {
        first.id,
        second.id,
    }


def test_the_demo_has_round_1_packed_loaded_and_on_the_road_and_reconciles(runner):
    """`kitlog demo`: 60 parcels packed, 40 on the dispatched SBY-01/<year>/0001 to one
    district, 5 on an open manifest, the rest on the shelf; `kitlog check` passes."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    first, second = db.session.scalars(select(Manifest).order_by(Manifest.id)).all()
    assert first.number.startswith("SBY-01/") and first.number.endswith("/0001")
    assert (first.status, second.status) == ("dispatched", "open")
    on_first = manifests.manifest_parcels(db.session, first)
    assert len(on_first) == 40 and {p.status for p in on_first} == {"dispatched"}
    assert {p.household.district for p in on_first} == {first.destination.split(",")[0][5:]}
    on_second = manifests.manifest_parcels(db.session, second)
    assert len(on_second) == 5 and {p.status for p in on_second} == {"packed"}
    packed = db.session.scalar(
        select(func.count()).select_from(Parcel).where(Parcel.status == "packed")
    )
    assert packed == 20
    assert db.session.scalar(select(func.count()).select_from(Scan)) == 60
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0, check.output
    assert runner.invoke(args=["demo"]).exit_code == 0  # again: nothing changes
    assert db.session.scalar(select(func.count()).select_from(Manifest)) == 2
