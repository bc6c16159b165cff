"""docs/api.md, The trip's work-list: a manifest's households in visiting order (district,
village, household), each parcel's status and door attempts; heads' names and phones only
for those who may read households, and their read in the audit log; four queries whatever
the trip's size."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from kitlog.extensions import db
from kitlog.models import AuditEvent
from kitlog.services import worklist
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.places import move_to
from tests.worlds import T0, ScanWorld

SUMBERPUTIH = "35.07.08.2001"  # a village of Wajak, Kabupaten Malang
TUREN = "35.07.09.1011"  # the village Turen, in the district Turen


@pytest.fixture
def w(make) -> ScanWorld:
    world = ScanWorld(make)
    # the first parcel's household lives in another district: it comes last; the second
    # and the third live in one village: by their codes
    move_to(world.parcels[0].household, SUMBERPUTIH)
    move_to(world.parcels[1].household, TUREN)
    move_to(world.parcels[2].household, TUREN)
    db.session.commit()
    return world


def _trip(w: ScanWorld):
    return w.on_the_road(w.parcels[:3])


def _looks() -> list[AuditEvent]:
    db.session.commit()
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "manifest.households"))
    )


def test_the_worklist_lists_the_trip_by_district_village_and_household(w, client, make):
    manifest = _trip(w)
    first, second, third = w.parcels[:3]
    w.scan(second, "fail", reason="nobody_home", at=T0 + timedelta(hours=1))
    w.scan(second, "deliver", recipient_name="Agus", at=T0 + timedelta(hours=3))
    w.scan(third, "fail", reason="moved", at=T0 + timedelta(hours=2))

    answer = ApiClient(client, make.token(w.siti), "en").get(
        f"/api/v1/manifests/{manifest.id}/worklist"
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["manifest"] == {
        "id": manifest.id,
        "number": manifest.number,
        "status": "dispatched",
        "destination": manifest.destination,
    }
    assert (body["done"], body["total"]) == (1, 3)
    codes = [item["code"] for item in body["items"]]
    assert codes == [format_short_code(p.short_code) for p in (second, third, first)]
    item = body["items"][0]
    household = second.household
    assert item["household"] == {
        "code": household.code,
        "head_name": household.head_name,
        "phone": household.phone,
        "village": "Turen",
        "district": "Turen",
        "village_code": TUREN,
    }
    assert (item["status"], item["kits"]) == ("delivered", 1)
    assert [(a["outcome"], a.get("reason")) for a in item["attempts"]] == [
        ("failed", "nobody_home"),
        ("delivered", None),
    ]
    assert all(a["at"] for a in item["attempts"])
    assert body["items"][1]["status"] == "failed"
    assert body["items"][1]["attempts"][0]["reason"] == "moved"
    assert body["items"][2]["attempts"] == []
    assert body["items"][2]["household"]["district"] == "Wajak"


def test_the_worklist_carries_the_official_places_of_the_trip_once_each(w, api):
    """What a phone keeps to name and list the trip's villages with no signal: each
    village and district of its households once, and the regency and province above."""
    manifest = _trip(w)
    body = api("field").get(f"/api/v1/manifests/{manifest.id}/worklist").get_json()
    assert body["places"] == [
        {"code": "35", "name": "Jawa Timur", "level": "province", "parent": None},
        {"code": "35.07", "name": "Kabupaten Malang", "level": "regency", "parent": "35"},
        {"code": "35.07.08", "name": "Wajak", "level": "district", "parent": "35.07"},
        {"code": "35.07.09", "name": "Turen", "level": "district", "parent": "35.07"},
        {"code": SUMBERPUTIH, "name": "Sumberputih", "level": "village", "parent": "35.07.08"},
        {"code": TUREN, "name": "Turen", "level": "village", "parent": "35.07.09"},
    ]
    villages = {place["code"] for place in body["places"] if place["level"] == "village"}
    assert {item["household"]["village_code"] for item in body["items"]} == villages
    # a household kitlog could not match to the official list names no place
    legacy = w.parcels[0].household
    legacy.village_code = legacy.district_code = None
    legacy.regency_code = legacy.province_code = None
    db.session.commit()
    body = api("field").get(f"/api/v1/manifests/{manifest.id}/worklist").get_json()
    assert [p["code"] for p in body["places"]] == ["35", "35.07", "35.07.09", TUREN]
    assert body["items"][2]["household"]["village_code"] is None
    assert body["items"][2]["household"]["village"] == "Sumberputih"


def test_warehouse_staff_get_the_worklist_without_personal_data(w, client, make):
    manifest = _trip(w)
    answer = ApiClient(client, make.token(w.budi), "en").get(
        f"/api/v1/manifests/{manifest.id}/worklist"
    )
    assert answer.status_code == 200
    for item in answer.get_json()["items"]:
        assert set(item["household"]) == {"code", "village", "district", "village_code"}
    assert _looks() == []  # nothing personal was read


def test_reading_the_names_and_phones_of_a_trip_is_audited(w, client, make):
    manifest = _trip(w)
    siti = ApiClient(client, make.token(w.siti), "en")
    assert siti.get(f"/api/v1/manifests/{manifest.id}/worklist").status_code == 200
    [look] = _looks()
    assert (look.user_id, look.object_ref) == (w.siti.id, manifest.number)
    assert json.loads(look.detail) == {"households": 3}


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("warehouse", 200), ("field", 200), ("donor", 403)]
)
def test_who_may_read_a_worklist(w, api, role, status):
    manifest = _trip(w)
    assert api(role).get(f"/api/v1/manifests/{manifest.id}/worklist").status_code == status


def test_an_unknown_manifest_has_no_worklist(w, api):
    assert_problem(api("field").get("/api/v1/manifests/999999/worklist"), 404)


def test_the_worklist_takes_four_queries_whatever_the_trip(w):
    manifest = _trip(w)
    for parcel in w.parcels[:3]:
        w.scan(parcel, "fail", reason="nobody_home")
    db.session.expire_all()
    assert manifest.id  # the manifest itself is loaded before counting
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        work = worklist.worklist(db.session, manifest)
        shown = [(i.household.district, len(i.attempts)) for i in work.items]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert shown == [("Turen", 1), ("Turen", 1), ("Wajak", 1)]
    # parcels with households and rounds, attempts, cards, collectors
    assert len(seen) == 4, seen
