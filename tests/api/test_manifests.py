"""docs/api.md, Manifests. Create (loading the parcels listed), add by code or by
round and area, take a parcel off, dispatch, close (with and without a reason), cancel,
the PDF, list, read with the parcels and households the delivery page caches; access per
role."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Manifest, MovementKind, ParcelStatus, StockMovement
from kitlog.services import stock
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def manifest_body(**changes) -> dict:
    body = {
        "warehouse": "SBY-01",
        "destination": "Desa Sedayu, Kec. Turen",
        "vehicle": "L 1234 AB",
        "driver_name": "Joko Susilo",
        "driver_phone": "0812 3456 7890",
        "planned_date": "2026-12-04",
    }
    return {**body, **changes}


def test_creating_a_manifest_numbers_it_and_loads_the_parcels_listed(w, as_user):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    w.scan(second, "pack")
    codes = [format_short_code(first.short_code), second.token]
    response = as_user(w.budi).post("/api/v1/manifests", json=manifest_body(parcels=codes))
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["number"].startswith("SBY-01/") and answer["number"].endswith("/0001")
    assert answer["status"] == "open" and answer["id"]
    assert answer["driver_phone"] == "+6281234567890"
    assert answer["counts"]["parcels"] == 2 and answer["counts"]["kits"] == 2
    assert {p["code"] for p in answer["parcels"]} == {
        format_short_code(first.short_code),
        format_short_code(second.short_code),
    }


def test_a_manifest_with_a_parcel_not_packed_is_refused_whole(w, as_user):
    first, second = w.parcels[:2]
    w.scan(first, "pack")
    response = as_user(w.budi).post(
        "/api/v1/manifests", json=manifest_body(parcels=[first.short_code, second.short_code])
    )
    problem = assert_problem(response, 409, field="parcels")
    assert format_short_code(second.short_code) in problem["detail"]
    assert db.session.scalar(select(func.count()).select_from(Manifest)) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"warehouse": "NOPE"}, "warehouse"),
        ({"destination": ""}, "destination"),
        ({"vehicle": "  "}, "vehicle"),
        ({"driver_name": "123"}, "driver_name"),
        ({"driver_phone": "555"}, "driver_phone"),
        ({"parcels": ["ZZZ-ZZZ-ZZZ"]}, "parcels"),
        ({"planned_date": "tomorrow"}, "planned_date"),
    ],
)
def test_invalid_manifest_values_are_422_naming_the_field(w, as_user, changes, field):
    response = as_user(w.budi).post("/api/v1/manifests", json=manifest_body(**changes))
    assert_problem(response, 422, field=field)


def test_dispatching_issues_the_stock_and_puts_the_parcels_on_the_road(w, as_user):
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    api = as_user(w.budi)
    created = api.post("/api/v1/manifests", json=manifest_body(parcels=[parcel.short_code]))
    manifest_id = created.get_json()["id"]
    response = api.post(f"/api/v1/manifests/{manifest_id}/dispatch")
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "dispatched" and answer["dispatched_at"]
    assert answer["parcels"][0]["status"] == "dispatched"
    movement = db.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.DISPATCH)
    ).one()
    assert (movement.quantity, movement.manifest_id) == (-1, manifest_id)
    again = api.post(f"/api/v1/manifests/{manifest_id}/dispatch")
    assert "only an open manifest" in assert_problem(again, 409)["detail"]


def test_an_empty_manifest_cannot_be_dispatched(w, as_user):
    api = as_user(w.budi)
    manifest_id = api.post("/api/v1/manifests", json=manifest_body()).get_json()["id"]
    assert_problem(api.post(f"/api/v1/manifests/{manifest_id}/dispatch"), 409)
    assert_problem(api.post("/api/v1/manifests/999999/dispatch"), 404)


def test_a_manifest_reads_with_its_parcels_households_for_the_delivery_page(w, as_user):
    parcel = w.parcels[0]
    manifest = w.on_the_road([parcel])
    answer = as_user(w.siti).get(f"/api/v1/manifests/{manifest.id}").get_json()
    (item,) = answer["parcels"]
    assert item["code"] == format_short_code(parcel.short_code)
    assert item["token"] == parcel.token and item["kits"] == 1 and item["status"] == "dispatched"
    household = parcel.household
    assert item["household"] == {
        "code": household.code,
        "head_name": household.head_name,
        "members": household.members,
        "village": household.village,
        "district": household.district,
    }
    assert_problem(as_user(w.siti).get("/api/v1/manifests/999999"), 404)


def test_the_manifest_list_filters_by_status_and_warehouse(w, as_user, make):
    make.warehouse("JKT-01")
    w.on_the_road([w.parcels[0]])
    w.manifest()
    api = as_user(w.siti)
    everything = api.get("/api/v1/manifests").get_json()
    assert everything["total"] == 2
    assert [m["status"] for m in everything["items"]] == ["open", "dispatched"]  # newest first
    dispatched = api.get("/api/v1/manifests?status=dispatched").get_json()
    assert [m["number"] for m in dispatched["items"]] == ["SBY-01/2026/0001"]
    assert dispatched["items"][0]["counts"]["dispatched"] == 1
    assert api.get("/api/v1/manifests?warehouse=JKT-01").get_json()["total"] == 0
    assert_problem(api.get("/api/v1/manifests?status=lost"), 422, field="status")
    assert_problem(api.get("/api/v1/manifests?warehouse=NOPE"), 422, field="warehouse")


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [("admin", 200, 201), ("warehouse", 200, 201), ("field", 200, 403), ("donor", 403, 403)],
)
def test_who_may_read_and_write_manifests(w, api, role, read, write):
    client = api(role)
    assert client.get("/api/v1/manifests").status_code == read
    assert client.post("/api/v1/manifests", json=manifest_body()).status_code == write


def test_warehouse_staff_see_no_household_names_on_a_manifest(w, as_user):
    manifest = w.on_the_road([w.parcels[0]])
    answer = as_user(w.budi).get(f"/api/v1/manifests/{manifest.id}").get_json()
    assert "head_name" not in answer["parcels"][0]["household"]


def delete(client: ApiClient, path: str):
    return client.client.delete(path, headers=client.headers)


def test_parcels_are_added_by_round_and_area_or_by_code_and_taken_off(w, as_user):
    first, second, third, _ = w.parcels
    for parcel in (first, second, third):
        w.scan(parcel, "pack")
    api = as_user(w.budi)
    manifest_id = api.post("/api/v1/manifests", json=manifest_body()).get_json()["id"]
    path = f"/api/v1/manifests/{manifest_id}/parcels"
    by_area = api.post(path, json={"round": w.round.id, "village": first.household.village})
    assert by_area.status_code == 200, by_area.get_json()
    assert [p["code"] for p in by_area.get_json()["parcels"]] == [
        format_short_code(first.short_code)
    ]
    by_code = api.post(path, json={"parcels": [second.short_code, third.token]})
    assert by_code.get_json()["counts"]["parcels"] == 3
    again = api.post(path, json={"parcels": [second.short_code]})
    assert "Already loaded onto manifest" in assert_problem(again, 409, field="parcels")["detail"]
    assert_problem(api.post(path, json={"round": w.round.id}), 422, field="district")
    assert_problem(api.post(path, json={}), 422, field="parcels")
    assert_problem(api.post(path, json={"round": 999999, "district": "Turen"}), 422, field="round")
    taken_off = delete(api, f"{path}/{format_short_code(second.short_code)}")
    assert taken_off.status_code == 200, taken_off.get_json()
    assert taken_off.get_json()["counts"]["parcels"] == 2
    assert_problem(delete(api, f"{path}/{second.short_code}"), 404)
    assert_problem(delete(api, f"{path}/ZZZ-ZZZ-ZZZ"), 404)
    api.post(f"/api/v1/manifests/{manifest_id}/dispatch")
    assert (
        "before it leaves"
        in assert_problem(delete(api, f"{path}/{first.short_code}"), 409)["detail"]
    )


def test_parcels_are_added_by_official_codes_of_the_area(w, as_user):
    for parcel in w.parcels:
        w.scan(parcel, "pack")
    api = as_user(w.budi)
    manifest_id = api.post("/api/v1/manifests", json=manifest_body()).get_json()["id"]
    path = f"/api/v1/manifests/{manifest_id}/parcels"
    bad = api.post(path, json={"round": w.round.id, "district_code": "35.07"})
    assert "not the official code of a district" in str(
        assert_problem(bad, 422, field="district_code")
    )
    by_village = api.post(path, json={"round": w.round.id, "village_code": "3507091008"})
    assert by_village.status_code == 200, by_village.get_json()
    assert [p["household"]["village"] for p in by_village.get_json()["parcels"]] == ["Sedayu"]
    by_district = api.post(path, json={"round": w.round.id, "district_code": "35.07.09"})
    assert by_district.get_json()["counts"]["parcels"] == len(w.parcels)
    # the round has no area: a misspelt name is looked for where its households live
    misspelt = api.post(path, json={"round": w.round.id, "district": "Turn"})
    problem = assert_problem(misspelt, 422, field="district")
    assert problem["errors"][0]["message"] == (
        "Turn is not a place in Kabupaten Malang. Did you mean: Turen (35.07.09),"
        " Bantur (35.07.03)?"
    )
    assert problem["errors"][0]["suggestions"][0] == {
        "code": "35.07.09", "name": "Turen", "level": "district", "parent": "35.07"
    }  # fmt: skip


def test_dispatch_answers_the_copied_totals(w, as_user):
    manifest = w.manifest()
    w.scan(w.parcels[0], "pack")
    api = as_user(w.budi)
    api.post(f"/api/v1/manifests/{manifest.id}/parcels", json={"parcels": [w.parcels[0].token]})
    answer = api.post(f"/api/v1/manifests/{manifest.id}/dispatch").get_json()
    assert (answer["kits_total"], answer["weight_kg"], answer["volume_m3"]) == (
        1,
        6.5,
        0.045,
    )


def test_closing_needs_a_reason_for_parcels_never_scanned(w, as_user):
    delivered, failed, silent, _ = w.parcels
    manifest = w.on_the_road([delivered, failed, silent])
    w.scan(delivered, "deliver")
    w.scan(failed, "fail", reason="refused")
    api = as_user(w.budi)
    refused = api.post(f"/api/v1/manifests/{manifest.id}/close", json={})
    problem = assert_problem(refused, 409, field="reason")
    assert "A discrepancy needs a reason" in problem["detail"]
    assert problem["parcels"] == [format_short_code(silent.short_code)]
    closed = api.post(
        f"/api/v1/manifests/{manifest.id}/close", json={"reason": "Parcel list left behind"}
    )
    assert closed.status_code == 200, closed.get_json()
    answer = closed.get_json()
    assert answer["status"] == "closed" and answer["close_reason"] == "Parcel list left behind"
    assert {p["code"]: p["outcome"] for p in answer["parcels"]} == {
        format_short_code(delivered.short_code): "delivered",
        format_short_code(failed.short_code): "returned",
        format_short_code(silent.short_code): "returned",
    }
    assert stock.reconciliation_problems(db.session) == []
    assert_problem(api.post(f"/api/v1/manifests/{manifest.id}/close", json={}), 409)


def test_cancelling_voids_an_open_manifest_only(w, as_user):
    w.scan(w.parcels[0], "pack")
    manifest = w.manifest([w.parcels[0]])
    api = as_user(w.budi)
    assert_problem(
        api.post(f"/api/v1/manifests/{manifest.id}/cancel", json={}), 422, field="reason"
    )
    answer = api.post(
        f"/api/v1/manifests/{manifest.id}/cancel", json={"reason": "Truck broke down"}
    ).get_json()
    assert (answer["status"], answer["number"], answer["cancel_reason"]) == (
        "cancelled",
        manifest.number,
        "Truck broke down",
    )
    assert answer["parcels"] == [] and w.parcels[0].status == ParcelStatus.PACKED
    gone = w.on_the_road([w.parcels[1]])
    assert_problem(api.post(f"/api/v1/manifests/{gone.id}/cancel", json={"reason": "x"}), 409)


def test_the_manifest_pdf_is_served_to_readers(w, as_user, api):
    manifest = w.on_the_road([w.parcels[0]])
    response = as_user(w.siti).get(f"/api/v1/manifests/{manifest.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert "manifest-SBY-01-2026-0001.pdf" in response.headers["Content-Disposition"]
    assert api("donor").get(f"/api/v1/manifests/{manifest.id}.pdf").status_code == 403
    assert_problem(as_user(w.siti).get("/api/v1/manifests/999999.pdf"), 404)


@pytest.mark.parametrize(("role", "status"), [("field", 403), ("donor", 403), (None, 401)])
def test_only_warehouse_and_admin_change_manifests(w, api, role, status):
    w.scan(w.parcels[0], "pack")
    manifest = w.on_the_road([w.parcels[1]])
    opened = w.manifest([w.parcels[0]])
    client = api(role)
    base = "/api/v1/manifests"
    code = w.parcels[0].short_code
    assert client.post(f"{base}/{opened.id}/parcels", json={"parcels": [code]}).status_code == (
        status
    )
    assert delete(client, f"{base}/{opened.id}/parcels/{code}").status_code == status
    assert client.post(f"{base}/{opened.id}/cancel", json={"reason": "x"}).status_code == status
    assert client.post(f"{base}/{manifest.id}/close", json={"reason": "x"}).status_code == status
    assert manifest.status == "dispatched" and opened.status == "open"
