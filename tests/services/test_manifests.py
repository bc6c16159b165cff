"""Manifests: numbered per warehouse and year; loading is all or nothing (by code or by
round and area); parcels come off until dispatch; dispatching needs every parcel packed,
issues the kits from the ledger, writes its lines and copies its totals in one
transaction; closing reconciles delivered + returned = dispatched; cancelling voids."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, update

from kitlog.extensions import db
from kitlog.models import (
    Household,
    KitType,
    Manifest,
    ManifestParcel,
    ManifestStatus,
    MovementKind,
    Parcel,
    ParcelStatus,
    StockMovement,
)
from kitlog.services import distribution as dist
from kitlog.services import manifests, stock
from kitlog.services.errors import Conflict, InvalidValues, NotFound
from kitlog.services.parcel_codes import format_short_code
from tests.worlds import T0, ScanWorld, events


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


def test_cancelling_a_loaded_parcel_takes_it_off_its_open_manifest(w):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    manifest = w.manifest([first, second])
    dist.cancel_parcel(db.session, second, user=w.admin)  # cancelled after loading
    db.session.commit()
    assert second.manifest_id is None and second.status == ParcelStatus.CANCELLED
    assert events(second)[-2:] == [("packed", "cancelled"), ("cancelled", "cancelled")]
    assert second.events[-1].note == f"unloaded:{manifest.number}"
    # the manifest then leaves with the other one only, and the cancelled kits stay home
    w.dispatch(manifest)
    assert [line.parcel_id for line in manifest.lines] == [first.id]
    dispatched = db.session.scalars(
        select(StockMovement.quantity).where(StockMovement.kind == MovementKind.DISPATCH)
    ).all()
    assert sum(dispatched) == -first.kits
    assert stock.reconciliation_problems(db.session) == []


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


def test_the_demo_manifests_keep_the_manifest_rules_and_reconcile(runner, request):
    """`kitlog demo`: every manifest numbered SBY-01/<year>/NNNN; each dispatched or
    closed one has a line per parcel that left and its copied totals; each closed one
    reconciles delivered + returned = dispatched; `kitlog check` passes; a second run
    changes nothing."""
    assert request.getfixturevalue("demo").exit_code == 0
    demo = db.session.scalars(select(Manifest).order_by(Manifest.id)).all()
    assert demo and demo[0].number.startswith("SBY-01/") and demo[0].number.endswith("/0001")
    assert any(m.status == "dispatched" for m in demo)
    for manifest in demo:
        lines = manifest.lines
        if manifest.status in ("dispatched", "closed"):
            assert lines and manifest.kits_total == sum(line.kits for line in lines)
        if manifest.status == "closed":
            assert {line.outcome for line in lines} <= {"delivered", "returned"}
            assert None not in {line.outcome for line in lines}
        if manifest.status == "open":
            assert not lines
            assert {p.status for p in manifests.manifest_parcels(db.session, manifest)} <= {
                "packed"
            }
    check = runner.invoke(args=["check"])
    assert check.exit_code == 0, check.output
    assert runner.invoke(args=["demo"]).exit_code == 0  # again: nothing changes
    assert db.session.scalar(select(func.count()).select_from(Manifest)) == len(demo)


# -- adding by round and area ------------------------------------------------------------


def test_adding_by_area_loads_only_packed_parcels_of_the_round_in_the_area(w, make):
    p0, p1, p2, p3 = w.parcels  # villages Sedayu, Turen, Tawangrejeni, Kemulan of Turen
    for parcel in (p0, p1, p2):
        w.scan(parcel, "pack")  # p3 stays allocated
    elsewhere = w.manifest([p2])  # p2 is on another open manifest
    manifest = w.manifest()
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=w.round, district="turen", user=w.budi, now=T0
    )
    db.session.commit()
    assert {p.id for p in added} == {p0.id, p1.id}
    assert (p0.manifest_id, p1.manifest_id) == (manifest.id, manifest.id)
    assert p2.manifest_id == elsewhere.id and p3.manifest_id is None
    # a second pick finds nothing more waiting
    with pytest.raises(Conflict) as error:
        manifests.add_parcels_by_area(
            db.session, manifest, round=w.round, village="kemulan", user=w.budi, now=T0
        )
    assert "No packed parcel of round Round 1 in Kemulan is waiting" in english(error)


def test_adding_by_village_takes_that_village_only(w):
    for parcel in w.parcels:
        w.scan(parcel, "pack")
    manifest = w.manifest()
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=w.round, district="Turen", village="Desa Turen", user=w.budi
    )
    assert [p.id for p in added] == [w.parcels[1].id]  # the village Turen of the district


def test_adding_by_official_code_takes_the_district_or_the_village(w):
    for parcel in w.parcels:
        w.scan(parcel, "pack")
    manifest = w.manifest()
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=w.round, village_code="3507091008", user=w.budi
    )
    assert [(p.id, p.household.village) for p in added] == [(w.parcels[0].id, "Sedayu")]
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=w.round, district_code="35.07.09", user=w.budi
    )
    assert [p.id for p in added] == [p.id for p in w.parcels[1:]]


@pytest.mark.parametrize(
    ("area", "field", "message"),
    [
        (
            {"district_code": "35.07"},
            "district_code",
            "35.07 is not the official code of a district",
        ),
        ({"district_code": "35.07.99"}, "district_code", "not the official code of a district"),
        ({"village_code": "35.07.09"}, "village_code", "not the official code of a village"),
        (
            {"district_code": "35.07.09", "village_code": "35.07.24.2001"},
            "village_code",
            "Wonorejo (35.07.24.2001) is not in the district Turen (35.07.09)",
        ),
    ],
)
def test_a_code_that_is_not_the_places_is_refused_on_its_field(w, area, field, message):
    w.scan(w.parcels[0], "pack")
    manifest = w.manifest()
    with pytest.raises(InvalidValues) as error:
        manifests.add_parcels_by_area(db.session, manifest, round=w.round, **area, user=w.budi)
    assert [e.field for e in error.value.errors] == [field]
    with force_locale("en"):
        assert message in str(error.value.errors[0].message)
    assert w.parcels[0].manifest_id is None


def _malang_round(w, make, homes: list[dict]) -> list[Parcel]:
    """A round for Kabupaten Malang (by code) of SBY-01, one packed parcel a home."""
    households = [make.household(**home) for home in homes]
    round_ = dist.create_round(
        db.session, name="Round M", batches=[w.batch], warehouse=w.warehouse,
        entitlement=1, regency_code="35.07", user=w.admin,
    )  # fmt: skip
    dist.open_round(db.session, round_, user=w.admin)
    dist.allocate(db.session, round_, user=w.admin, today=date(2026, 12, 1), now=T0)
    db.session.commit()
    by_household = {
        p.household_id: p for p in db.session.scalars(select(Parcel).filter_by(round_id=round_.id))
    }
    parcels = [by_household[h.id] for h in households]
    for parcel in parcels:
        w.scan(parcel, "pack")
    return parcels


BANTUR = {"district": "Bantur", "village": "Wonorejo"}  # 35.07.03.2004
SINGOSARI = {"district": "Singosari", "village": "Wonorejo"}  # 35.07.24.2001


def test_a_village_name_two_of_the_rounds_villages_share_needs_its_district_or_code(make):
    w = ScanWorld(make, households=0)
    bantur, singosari = _malang_round(w, make, [BANTUR, SINGOSARI])
    manifest = w.manifest()
    with pytest.raises(InvalidValues) as error:
        manifests.add_parcels_by_area(
            db.session, manifest, round=bantur.round, village="wonorejo", user=w.budi
        )
    (refusal,) = error.value.errors
    assert refusal.field == "village"
    assert [s["code"] for s in refusal.suggestions] == ["35.07.03.2004", "35.07.24.2001"]
    with force_locale("en"):
        assert "Wonorejo (35.07.03.2004), Bantur, Wonorejo (35.07.24.2001), Singosari" in str(
            refusal.message
        )
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=bantur.round, district="Bantur", village="Wonorejo",
        user=w.budi,
    )  # fmt: skip
    assert [p.id for p in added] == [bantur.id]
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=bantur.round, village_code="35.07.24.2001", user=w.budi
    )
    assert [p.id for p in added] == [singosari.id]


def test_a_misspelt_district_is_refused_with_the_rounds_regencys_places(make):
    w = ScanWorld(make, households=0)
    (parcel,) = _malang_round(w, make, [BANTUR])
    manifest = w.manifest()
    with pytest.raises(InvalidValues) as error:
        manifests.add_parcels_by_area(
            db.session, manifest, round=parcel.round, district="Bantir", user=w.budi
        )
    (refusal,) = error.value.errors
    assert refusal.field == "district"
    assert refusal.suggestions[0]["code"] == "35.07.03"  # Bantur, in Kabupaten Malang
    # a district of the regency with no parcel waiting: nothing to load, and why
    with pytest.raises(Conflict) as error:
        manifests.add_parcels_by_area(
            db.session, manifest, round=parcel.round, district="Turen", user=w.budi
        )
    assert "No packed parcel of round Round M in Turen" in english(error)


def test_a_household_whose_places_have_no_code_is_found_by_its_names(w):
    """One registered before kitlog knew the official places, whose names matched none."""
    legacy = w.parcels[0].household
    db.session.execute(
        update(Household)
        .where(Household.id == legacy.id)
        .values(village="Sedayu Lama", village_code=None, district_code=None)
    )
    for parcel in w.parcels:
        w.scan(parcel, "pack")
    manifest = w.manifest()
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=w.round, village="sedayu lama", user=w.budi
    )
    assert [p.id for p in added] == [w.parcels[0].id]
    db.session.rollback()
    added = manifests.add_parcels_by_area(
        db.session, manifest, round=w.round, district="Turen", user=w.budi
    )
    assert [p.id for p in added] == [p.id for p in w.parcels]  # by code, and by name


def test_adding_by_area_needs_an_area_and_a_round_of_the_same_warehouse(w, make):
    manifest = w.manifest()
    with pytest.raises(InvalidValues) as error:
        manifests.add_parcels_by_area(db.session, manifest, round=None, user=w.budi)
    assert sorted(e.field for e in error.value.errors) == ["district", "round"]
    jakarta = make.warehouse("JKT-01")
    other = w.manifest(warehouse=jakarta)
    with pytest.raises(Conflict) as error:
        manifests.add_parcels_by_area(
            db.session, other, round=w.round, district="Turen", user=w.budi
        )
    assert "leaves from JKT-01" in english(error)


def test_adding_by_code_loads_all_or_nothing(w):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    manifest = w.manifest()
    with pytest.raises(Conflict):
        manifests.add_parcels(
            db.session, manifest, [first.short_code, second.short_code], user=w.budi
        )
    db.session.rollback()
    assert first.manifest_id is None
    manifests.add_parcels(db.session, manifest, [format_short_code(first.short_code)], user=w.budi)
    db.session.commit()
    assert first.manifest_id == manifest.id


# -- removing until dispatch -------------------------------------------------------------


def test_a_parcel_comes_off_an_open_manifest_and_an_event_records_it(w):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    manifest = w.manifest([first, second])
    manifests.remove_parcel(db.session, manifest, first, user=w.budi, now=T0)
    db.session.commit()
    assert first.manifest_id is None and first.status == ParcelStatus.PACKED
    assert events(first)[-1] == ("packed", "packed")
    assert first.events[-1].note == manifests.UNLOADED + manifest.number
    with pytest.raises(NotFound):
        manifests.remove_parcel(db.session, manifest, first, user=w.budi)
    # it can be loaded again, here or elsewhere
    w.manifest([first])
    w.dispatch(manifest)
    with pytest.raises(Conflict) as error:
        manifests.remove_parcel(db.session, manifest, second, user=w.budi)
    assert "can only be taken off before it leaves" in english(error)


# -- dispatch writes the lines and copies the totals -------------------------------------


def test_dispatch_writes_a_line_per_parcel_and_copies_the_totals(w):
    parcels = w.parcels[:3]
    manifest = w.on_the_road(parcels)
    lines = db.session.scalars(
        select(ManifestParcel).where(ManifestParcel.manifest_id == manifest.id)
    ).all()
    assert sorted((line.parcel_id, line.kits, line.outcome) for line in lines) == sorted(
        (p.id, 1, None) for p in parcels
    )
    assert manifest.kits_total == 3
    assert Decimal(manifest.weight_kg) == Decimal("19.500")  # 3 x 6.5 kg
    assert Decimal(manifest.volume_m3) == Decimal("0.1350")  # 3 x 0.045 m3
    # the kit type is corrected later: the waybill keeps its figures
    kit_type = db.session.get(KitType, w.batch.kit_type_id)
    kit_type.weight_kg = Decimal("9.000")
    db.session.commit()
    db.session.expire_all()
    totals, provisional = manifests.manifest_totals(db.session, manifest)
    assert (totals.kits, totals.weight_kg, provisional) == (3, Decimal("19.500"), False)


def test_an_open_manifest_has_live_provisional_totals(w):
    w.scan(w.parcels[0], "pack")
    manifest = w.manifest([w.parcels[0]])
    totals, provisional = manifests.manifest_totals(db.session, manifest)
    assert (totals.kits, totals.weight_kg, totals.volume_m3, provisional) == (
        1,
        Decimal("6.500"),
        Decimal("0.0450"),
        True,
    )


# -- closing reconciles -------------------------------------------------------------------


def ledger_returns(manifest) -> int:
    return sum(
        m.quantity
        for m in db.session.scalars(
            select(StockMovement).where(
                StockMovement.kind == MovementKind.RETURN,
                StockMovement.manifest_id == manifest.id,
            )
        )
    )


def outcomes(manifest) -> dict[int, str | None]:
    return manifests.manifest_outcomes(db.session, manifest)


def test_closing_without_a_reason_refuses_while_parcels_were_never_scanned(w):
    delivered, failed, silent, _ = w.parcels
    manifest = w.on_the_road([delivered, failed, silent])
    w.scan(delivered, "deliver")
    w.scan(failed, "fail", reason="nobody_home")
    with pytest.raises(Conflict) as error:
        manifests.close_manifest(db.session, manifest, user=w.budi, now=T0)
    assert "A discrepancy needs a reason" in english(error)
    assert error.value.extra["parcels"] == [format_short_code(silent.short_code)]
    db.session.rollback()
    assert manifest.status == ManifestStatus.DISPATCHED and failed.status == ParcelStatus.FAILED
    assert ledger_returns(manifest) == 0


def test_closing_with_a_reason_returns_failed_and_unscanned_parcels_to_stock(w):
    delivered, failed, silent, _ = w.parcels
    manifest = w.on_the_road([delivered, failed, silent])
    w.scan(delivered, "deliver")
    w.scan(failed, "fail", reason="moved")
    reserved_before = stock.batch_summaries(db.session)[w.batch.id].reserved
    later = T0 + timedelta(days=1)
    manifests.close_manifest(
        db.session, manifest, reason="Driver lost one parcel list", user=w.admin, now=later
    )
    db.session.commit()
    assert manifest.status == ManifestStatus.CLOSED
    assert (manifest.closed_by_id, manifest.closed_at.replace(tzinfo=UTC)) == (w.admin.id, later)
    assert manifest.close_reason == "Driver lost one parcel list"
    assert delivered.status == ParcelStatus.DELIVERED
    assert (failed.status, silent.status) == (ParcelStatus.RETURNED, ParcelStatus.RETURNED)
    assert events(silent)[-1] == ("dispatched", "returned")
    assert ledger_returns(manifest) == 2
    summary = stock.batch_summaries(db.session)[w.batch.id]
    assert summary.reserved == reserved_before + 2  # on the shelf again, held for them
    assert (summary.in_transit, summary.delivered, summary.returned) == (0, 1, 2)
    assert outcomes(manifest) == {
        delivered.id: "delivered",
        failed.id: "returned",
        silent.id: "returned",
    }
    assert stock.reconciliation_problems(db.session) == []


def test_closing_without_a_reason_returns_failed_parcels_and_keeps_delivered_ones(w):
    delivered, failed, late, returned = w.parcels
    manifest = w.on_the_road(w.parcels)
    w.scan(delivered, "deliver")
    w.scan(failed, "fail", reason="nobody_home")
    w.scan(late, "fail", reason="nobody_home")
    w.scan(late, "deliver")  # delivered after all, on the second visit
    w.scan(returned, "return")
    manifests.close_manifest(db.session, manifest, user=w.budi, now=T0)
    db.session.commit()
    assert manifest.close_reason == ""
    assert outcomes(manifest) == {
        delivered.id: "delivered",
        failed.id: "returned",
        late.id: "delivered",
        returned.id: "returned",
    }
    assert ledger_returns(manifest) == 2  # one by the return scan, one by the closing
    lines = manifest.lines
    sent = sum(line.kits for line in lines)
    came_back = sum(line.kits for line in lines if line.outcome == "returned")
    handed_over = sum(line.kits for line in lines if line.outcome == "delivered")
    assert handed_over + came_back == sent == manifest.kits_total == 4
    assert stock.reconciliation_problems(db.session) == []


def test_a_parcel_returned_and_sent_again_keeps_its_outcome_on_the_first_trip(w):
    parcel = w.parcels[0]
    first = w.on_the_road([parcel])
    w.scan(parcel, "return")
    w.scan(parcel, "pack")
    second = w.manifest([parcel])
    w.dispatch(second)
    manifests.close_manifest(db.session, first, user=w.budi, now=T0)
    db.session.commit()
    assert outcomes(first) == {parcel.id: "returned"}
    assert parcel.status == ParcelStatus.DISPATCHED and parcel.manifest_id == second.id
    assert [p.id for p in manifests.manifest_parcels(db.session, first)] == [parcel.id]
    assert stock.reconciliation_problems(db.session) == []


def test_only_a_dispatched_manifest_can_be_closed(w):
    manifest = w.manifest()
    with pytest.raises(Conflict) as error:
        manifests.close_manifest(db.session, manifest, user=w.budi)
    assert "only a dispatched manifest can be closed" in english(error)
    db.session.rollback()
    done = w.on_the_road([w.parcels[0]])
    w.scan(w.parcels[0], "deliver")
    manifests.close_manifest(db.session, done, user=w.budi)
    db.session.commit()
    with pytest.raises(Conflict):
        manifests.close_manifest(db.session, done, user=w.budi)


# -- cancelling -----------------------------------------------------------------------------


def test_cancelling_an_open_manifest_voids_it_keeps_its_number_and_unloads_it(w):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    manifest = w.manifest([first, second])
    number = manifest.number
    with pytest.raises(InvalidValues):
        manifests.cancel_manifest(db.session, manifest, reason="  ", user=w.budi)
    manifests.cancel_manifest(db.session, manifest, reason="Truck broke down", user=w.budi, now=T0)
    db.session.commit()
    assert (manifest.status, manifest.number) == (ManifestStatus.CANCELLED, number)
    assert manifest.cancel_reason == "Truck broke down" and manifest.cancelled_by_id == w.budi.id
    assert (first.manifest_id, second.manifest_id) == (None, None)
    assert {first.status, second.status} == {ParcelStatus.PACKED}
    assert w.manifest().number == "SBY-01/2026/0002"  # the number is not reused
    # the parcels can go on another trip
    again = w.manifest([first, second])
    w.dispatch(again)
    assert stock.reconciliation_problems(db.session) == []


def test_a_dispatched_or_closed_manifest_cannot_be_cancelled(w):
    manifest = w.on_the_road([w.parcels[0]])
    with pytest.raises(Conflict) as error:
        manifests.cancel_manifest(db.session, manifest, reason="oops", user=w.budi)
    assert "only a manifest that has not left can be cancelled" in english(error)
    db.session.rollback()
    with pytest.raises(Conflict):
        w.scan(w.parcels[0], "deliver")
        manifests.close_manifest(db.session, manifest, user=w.budi)
        db.session.commit()
        manifests.cancel_manifest(db.session, manifest, reason="oops", user=w.budi)
