"""docs/api.md, The day in the field: `GET /api/v1/follow-ups` (failed parcels still owed,
with each attempt's reason and time; filters; the warehouse without personal data) and
`POST /api/v1/follow-ups/load` (onto the next manifest, all or none)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kitlog.extensions import db
from kitlog.models import ParcelStatus
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import T0, ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    world = ScanWorld(make)
    nobody, moved, delivered, _ = world.parcels
    world.on_the_road(world.parcels[:3])
    world.scan(nobody, "fail", reason="nobody_home", scanned_at=T0 - timedelta(hours=1))
    world.scan(moved, "fail", reason="moved", scanned_at=T0)
    world.scan(delivered, "deliver", scanned_at=T0)
    return world


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def test_the_list_has_each_follow_up_with_its_attempts(w, as_user):
    response = as_user(w.siti).get("/api/v1/follow-ups")
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["total"] == 2 and answer["page"] == 1
    first = next(
        i for i in answer["items"] if i["code"] == format_short_code(w.parcels[0].short_code)
    )
    assert first["status"] == "failed" and first["kits"] == 1 and first["flagged"] is False
    assert first["round"] == {"id": w.round.id, "name": "Round 1"}
    assert first["warehouse"] == "SBY-01" and first["manifest"]
    household = first["household"]
    assert household["code"] == w.parcels[0].household.code
    assert household["head_name"] and "phone" in household and household["village"] == "Sedayu"
    (attempt,) = first["attempts"]
    assert attempt["outcome"] == "failed" and attempt["reason"] == "nobody_home"
    assert attempt["at"].startswith("2026-12-03T13:02:00+07:00")


def test_the_warehouse_sees_the_list_without_names_or_phones(w, as_user):
    answer = as_user(w.budi).get("/api/v1/follow-ups").get_json()
    assert answer["total"] == 2
    for item in answer["items"]:
        assert set(item["household"]) == {"code", "village", "district"}


def test_a_donor_may_not_read_follow_ups(w, as_user, make):
    donor = make.user("donor")
    assert_problem(as_user(donor).get("/api/v1/follow-ups"), 403)


def test_the_list_filters_by_round_and_warehouse(w, as_user, make):
    make.warehouse("MLG-01", province="Jawa Timur", regency="Kota Malang")
    api = as_user(w.admin)
    assert api.get(f"/api/v1/follow-ups?round={w.round.id}").get_json()["total"] == 2
    assert api.get("/api/v1/follow-ups?warehouse=SBY-01").get_json()["total"] == 2
    assert api.get("/api/v1/follow-ups?warehouse=MLG-01").get_json()["total"] == 0
    assert api.get("/api/v1/follow-ups?round=&warehouse=").get_json()["total"] == 2
    assert_problem(api.get("/api/v1/follow-ups?warehouse=NOPE"), 422, field="warehouse")
    assert_problem(api.get("/api/v1/follow-ups?round=99999"), 422, field="round")


def test_follow_ups_go_on_the_next_manifest_in_one_call(w, as_user):
    nobody, moved, *_ = w.parcels
    nxt = w.manifest()
    response = as_user(w.budi).post(
        "/api/v1/follow-ups/load",
        json={"manifest": nxt.id, "parcels": [nobody.short_code, moved.token]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["manifest"] == nxt.number
    for parcel in (nobody, moved):
        db.session.refresh(parcel)
        assert (parcel.status, parcel.manifest_id) == (ParcelStatus.PACKED, nxt.id)
    assert as_user(w.budi).get("/api/v1/follow-ups").get_json()["total"] == 0


def test_one_refused_parcel_refuses_the_call_naming_each_parcel(w, as_user):
    nobody, _moved, delivered, _ = w.parcels
    nxt = w.manifest()
    response = as_user(w.budi).post(
        "/api/v1/follow-ups/load",
        json={"manifest": nxt.id, "parcels": [nobody.short_code, delivered.short_code]},
    )
    problem = assert_problem(response, 409, field="parcels")
    assert problem["refused"] == [
        {"code": format_short_code(delivered.short_code), "reason": problem["refused"][0]["reason"]}
    ]
    assert "Already delivered" in problem["refused"][0]["reason"]
    db.session.refresh(nobody)
    assert nobody.status == ParcelStatus.FAILED
    unknown = as_user(w.budi).post(
        "/api/v1/follow-ups/load", json={"manifest": nxt.id, "parcels": ["ZZZ-ZZZ-ZZZ"]}
    )
    assert_problem(unknown, 422, field="parcels")
    no_manifest = as_user(w.budi).post(
        "/api/v1/follow-ups/load", json={"manifest": 99999, "parcels": [nobody.short_code]}
    )
    assert_problem(no_manifest, 422, field="manifest")


def test_a_field_officer_may_not_load(w, as_user):
    nxt = w.manifest()
    response = as_user(w.siti).post(
        "/api/v1/follow-ups/load", json={"manifest": nxt.id, "parcels": [w.parcels[0].short_code]}
    )
    assert_problem(response, 403)
