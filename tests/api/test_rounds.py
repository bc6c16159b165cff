"""The rounds API: plan a round, allocate its parcels all or nothing, open and close it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import DonorBatch, Parcel, ParcelEvent, ParcelStatus
from kitlog.services import stock
from tests.api.helpers import PROBLEM_JSON, assert_problem
from tests.worlds import ScanWorld


def _body(world, **changes) -> dict:
    body = {"name": "KOICA round 1", "batches": [world.batch_id], "warehouse": "JKT-01"}
    return {**body, "entitlement": 2, **changes}


def _new_round(api, world, **changes) -> dict:
    response = api("admin").post("/api/v1/rounds", json=_body(world, **changes))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _parcel_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Parcel))


# -- creating and reading ------------------------------------------------------------------


def test_an_admin_plans_a_round_as_a_draft(api, world):
    response = api("admin").post(
        "/api/v1/rounds",
        json=_body(
            world,
            province="jatim",
            regency="kabupaten malang",
            members_per_kit=3,
            vulnerable_first=True,
            start_date="2021-01-04",
            end_date="2021-01-29",
        ),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft"
    assert body["batches"] == [world.batch_id] and body["warehouse"] == "JKT-01"
    assert (body["province"], body["regency"]) == ("Jawa Timur", "Kabupaten Malang")
    assert (body["entitlement"], body["members_per_kit"], body["vulnerable_first"]) == (2, 3, True)
    assert body["parcels"] == {
        "allocated": 0,
        "packed": 0,
        "dispatched": 0,
        "delivered": 0,
        "failed": 0,
        "returned": 0,
        "cancelled": 0,
        "total": 0,
    }
    again = api("warehouse").get(f"/api/v1/rounds/{body['id']}")
    assert again.status_code == 200 and again.get_json()["name"] == "KOICA round 1"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"batches": [999_999]}, "batches"),
        ({"batches": []}, "batches"),
        ({"warehouse": "NOPE-01"}, "warehouse"),
        ({"entitlement": 0}, "entitlement"),
        ({"entitlement": 101}, "entitlement"),
        ({"members_per_kit": 0}, "members_per_kit"),
        ({"province": "Atlantis"}, "province"),
        ({"name": "  "}, "name"),
        ({"start_date": "2021-02-01", "end_date": "2021-01-01"}, "end_date"),
        ({"vulnerable_first": "yes"}, "vulnerable_first"),
    ],
)
def test_a_round_with_a_bad_value_is_422_naming_the_field(api, world, changes, field):
    response = api("admin").post("/api/v1/rounds", json=_body(world, **changes))
    assert_problem(response, 422, field=field)
    assert api("admin").get("/api/v1/rounds").get_json()["total"] == 0


def test_a_round_of_two_kit_types_is_refused(api, world, make):
    other = make.kit_type("HK-IND")
    batch = stock.receive_batch(
        db.session,
        donor=world.donor,
        kit_type=other,
        warehouse=world.jakarta,
        reference="AGR-9",
        lot="IND-1",
        expiry_date=None,
        quantity_pledged=5,
        quantity_received=5,
        received_date=world.batch.received_date,
        user=None,
    )
    db.session.commit()
    response = api("admin").post(
        "/api/v1/rounds", json=_body(world, batches=[world.batch_id, batch.id])
    )
    body = assert_problem(response, 422, field="batches")
    assert "kit type" in body["errors"][0]["message"]


def test_rounds_are_listed_newest_first_with_their_counts(api, world, make):
    first = _new_round(api, world, name="First")
    second = _new_round(api, world, name="Second")
    make.household()
    api("admin").post(f"/api/v1/rounds/{first['id']}/allocate", json={})
    page = api("field").get("/api/v1/rounds?per_page=1").get_json()
    assert (page["total"], page["page"], page["per_page"]) == (2, 1, 1)
    assert [r["id"] for r in page["items"]] == [second["id"]]
    items = api("field").get("/api/v1/rounds").get_json()["items"]
    counts = {r["name"]: r["parcels"]["allocated"] for r in items}
    assert counts == {"First": 1, "Second": 0}


def test_an_unknown_round_is_404(api, world):
    assert_problem(api("admin").get("/api/v1/rounds/424242"), 404)
    assert_problem(api("admin").post("/api/v1/rounds/424242/allocate", json={}), 404)


# -- allocating ----------------------------------------------------------------------------


def test_allocating_gives_each_eligible_household_one_parcel_and_lists_the_skipped(
    api, world, make
):
    round_ = _new_round(api, world)
    make.household()
    make.household()
    no_consent = make.household(consent=False)
    response = api("admin").post(f"/api/v1/rounds/{round_['id']}/allocate", json={})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["allocated"], body["kits"]) == (2, 4)
    assert [(s["household"], s["reason"]) for s in body["skipped"]] == [
        (no_consent.code, "no_consent")
    ]
    assert "consent" in body["skipped"][0]["message"]
    counts = api("admin").get(f"/api/v1/rounds/{round_['id']}").get_json()["parcels"]
    assert (counts["allocated"], counts["total"]) == (2, 2)
    level = api("admin").get(f"/api/v1/stock?batch={world.batch_id}").get_json()["items"][0]
    assert (level["on_hand"], level["reserved"], level["available"]) == (100, 4, 96)


def test_a_rounds_progress_counts_the_parcels_that_came_at_least_that_far(api, make):
    w = ScanWorld(make)
    w.on_the_road(w.parcels[:2])
    w.scan(w.parcels[0], "deliver", recipient_name="Ibu Sari", recipient_relation="self")
    w.scan(w.parcels[2], "pack")
    body = api("admin").get(f"/api/v1/rounds/{w.round.id}").get_json()
    assert (body["parcels"]["packed"], body["parcels"]["dispatched"]) == (1, 1)
    assert body["progress"] == {"packed": 3, "dispatched": 2, "delivered": 1}
    listed = api("warehouse").get("/api/v1/rounds").get_json()["items"]
    assert [r["progress"] for r in listed] == [body["progress"]]


def test_allocating_again_gives_nobody_a_second_parcel(api, world, make):
    round_ = _new_round(api, world)
    household = make.household()
    path = f"/api/v1/rounds/{round_['id']}/allocate"
    assert api("admin").post(path, json={}).get_json()["allocated"] == 1
    body = api("admin").post(path).get_json()  # no body at all: every eligible household
    assert (body["allocated"], body["skipped"]) == (0, [])
    body = api("admin").post(path, json={"households": [household.code]}).get_json()
    assert body["allocated"] == 0
    assert body["skipped"][0]["household"] == household.code
    assert body["skipped"][0]["reason"] == "already_allocated"
    assert _parcel_count() == 1


def test_short_stock_is_409_with_requested_and_available_and_allocates_nothing(api, world, make):
    round_ = _new_round(api, world, entitlement=40)
    for _ in range(3):
        make.household()
    response = api("admin").post(f"/api/v1/rounds/{round_['id']}/allocate", json={})
    body = assert_problem(response, 409)
    assert (body["requested"], body["available"]) == (120, 100)
    assert "120" in body["detail"] and "100" in body["detail"]
    assert _parcel_count() == 0
    indonesian = api("admin", language="id").post(
        f"/api/v1/rounds/{round_['id']}/allocate", json={}
    )
    assert assert_problem(indonesian, 409)["requested"] == 120


def test_named_households_are_allocated_and_unknown_codes_are_each_listed(api, world, make):
    round_ = _new_round(api, world)
    chosen = make.household()
    make.household()
    path = f"/api/v1/rounds/{round_['id']}/allocate"
    response = api("admin").post(path, json={"households": ["HH-999998", "HH-999999"]})
    body = assert_problem(response, 422, field="households")
    assert [e["field"] for e in body["errors"]] == ["households", "households"]
    assert "HH-999998" in body["errors"][0]["message"]
    assert _parcel_count() == 0
    response = api("admin").post(path, json={"households": [chosen.code]})
    assert response.get_json()["allocated"] == 1


def test_a_closed_round_refuses_to_allocate(api, world, make):
    round_ = _new_round(api, world)
    admin = api("admin")
    assert admin.post(f"/api/v1/rounds/{round_['id']}/open").get_json()["status"] == "open"
    assert admin.post(f"/api/v1/rounds/{round_['id']}/close").get_json()["status"] == "closed"
    make.household()
    assert_problem(admin.post(f"/api/v1/rounds/{round_['id']}/allocate", json={}), 409)
    assert _parcel_count() == 0


def test_a_round_opens_once_and_only_an_open_round_closes(api, world):
    round_ = _new_round(api, world)
    admin = api("admin")
    body = assert_problem(admin.post(f"/api/v1/rounds/{round_['id']}/close"), 409)
    assert "draft" in body["detail"]
    assert admin.post(f"/api/v1/rounds/{round_['id']}/open").status_code == 200
    assert_problem(admin.post(f"/api/v1/rounds/{round_['id']}/open"), 409)


def test_closing_cancels_unpacked_parcels_and_releases_their_kits(api, world, make):
    round_ = _new_round(api, world)
    make.household()
    admin = api("admin")
    admin.post(f"/api/v1/rounds/{round_['id']}/allocate", json={})
    admin.post(f"/api/v1/rounds/{round_['id']}/open")
    body = admin.post(f"/api/v1/rounds/{round_['id']}/close").get_json()
    assert (body["parcels"]["cancelled"], body["parcels"]["total"]) == (1, 0)
    level = admin.get(f"/api/v1/stock?batch={world.batch_id}").get_json()["items"][0]
    assert level["reserved"] == 0
    statuses = db.session.scalars(select(ParcelEvent.status).order_by(ParcelEvent.id)).all()
    assert statuses == ["allocated", "cancelled"]


def test_closing_is_409_while_a_parcel_is_packed_and_says_how_many(api, world, make):
    round_ = _new_round(api, world)
    make.household()
    admin = api("admin")
    admin.post(f"/api/v1/rounds/{round_['id']}/allocate", json={})
    admin.post(f"/api/v1/rounds/{round_['id']}/open")
    parcel = db.session.scalars(select(Parcel)).one()
    parcel.status = ParcelStatus.PACKED  # as the packing scan will
    db.session.commit()
    body = assert_problem(admin.post(f"/api/v1/rounds/{round_['id']}/close"), 409)
    assert "1 " in body["detail"]
    assert admin.get(f"/api/v1/rounds/{round_['id']}").get_json()["status"] == "open"


def test_reserved_kits_cannot_be_transferred_until_the_parcel_is_cancelled(api, world, make):
    round_ = _new_round(api, world, entitlement=50)
    make.household()
    make.household()
    admin = api("admin")
    assert admin.post(f"/api/v1/rounds/{round_['id']}/allocate", json={}).status_code == 200
    transfer = world.transfer_body(quantity=30)
    refused = assert_problem(admin.post("/api/v1/transfers", json=transfer), 409)
    assert (refused["requested"], refused["available"]) == (30, 0)
    code = admin.get(f"/api/v1/rounds/{round_['id']}/parcels").get_json()["items"][0]["code"]
    assert admin.post(f"/api/v1/parcels/{code}/cancel", json={}).status_code == 200
    assert admin.post("/api/v1/transfers", json=transfer).status_code == 201
    assert stock.reconciliation_problems(db.session) == []


def test_the_plan_says_kits_needed_and_available_and_who_is_skipped(api, world, make):
    round_ = _new_round(api, world, vulnerable_first=True)
    make.household(vulnerabilities=["elderly"])
    plain = make.household()
    body = api("field").get(f"/api/v1/rounds/{round_['id']}/plan").get_json()
    assert (body["kits_needed"], body["kits_available"], body["households"]) == (2, 100, 1)
    assert [(s["household"], s["reason"]) for s in body["skipped"]] == [
        (plain.code, "not_vulnerable")
    ]
    assert body["batches"][0] == {
        "batch": world.batch_id,
        "lot": "LOT-A",
        "expiry_date": db.session.get(DonorBatch, world.batch_id).expiry_date.isoformat(),
        "available": 100,
        "expired": False,
    }
    assert _parcel_count() == 0


def test_a_rounds_parcels_are_listed_by_status(api, world, make):
    round_ = _new_round(api, world)
    households = sorted((make.household() for _ in range(3)), key=lambda h: h.code)
    admin = api("admin")
    admin.post(f"/api/v1/rounds/{round_['id']}/allocate", json={})
    path = f"/api/v1/rounds/{round_['id']}/parcels"
    page = api("warehouse").get(path).get_json()
    assert [p["household"] for p in page["items"]] == [h.code for h in households]
    assert all(len(p["code"]) == 11 and p["kits"] == 2 for p in page["items"])
    admin.post(f"/api/v1/parcels/{page['items'][0]['code']}/cancel", json={})
    assert admin.get(f"{path}?status=cancelled").get_json()["total"] == 1
    assert admin.get(f"{path}?status=allocated,packed").get_json()["total"] == 2
    assert_problem(admin.get(f"{path}?status=lost"), 422, field="status")


# -- who may -------------------------------------------------------------------------------

WRITES = ["/api/v1/rounds", "/api/v1/rounds/{id}/allocate", "/api/v1/rounds/{id}/open"]
WRITES += ["/api/v1/rounds/{id}/close"]
READS = ["/api/v1/rounds", "/api/v1/rounds/{id}", "/api/v1/rounds/{id}/plan"]
READS += ["/api/v1/rounds/{id}/parcels"]


@pytest.mark.parametrize("role", ["field", "warehouse", "donor"])
@pytest.mark.parametrize("path", WRITES)
def test_only_an_admin_plans_allocates_opens_and_closes_rounds(api, world, make, role, path):
    round_ = _new_round(api, world)
    make.household()
    path = path.format(id=round_["id"])
    body = _body(world) if path.endswith("rounds") else {}
    assert_problem(api(role).post(path, json=body), 403)
    assert_problem(api(None).post(path, json=body), 401)
    assert _parcel_count() == 0
    assert api("admin").get(f"/api/v1/rounds/{round_['id']}").get_json()["status"] == "draft"


@pytest.mark.parametrize("path", READS)
def test_a_donor_cannot_read_rounds(api, world, path):
    round_ = _new_round(api, world)
    path = path.format(id=round_["id"])
    assert_problem(api("donor").get(path), 403)
    assert_problem(api(None).get(path), 401)
    assert api("warehouse").get(path).status_code == 200
    assert api("field").get(path).status_code == 200


# -- malformed input -----------------------------------------------------------------------

BROKEN_BODIES = [
    b"{not json",
    b"null",
    b"[]",
    b'"x"',
    b"5",
    b"[" * 10_000 + b"]" * 10_000,
    b'{"name": "\xff"}',
]
BROKEN_ROUND_VALUES = {
    "name": [None, 5, [], "\x00", "x" * 121],
    "batches": [None, 5, "1", [None], ["1"], [1.5], [0], [2**31], [10**30], [{}]],
    "warehouse": [None, 5, [], "", "\x00", "A" * 33],
    "entitlement": [None, "2", 2.5, True, 10**30],
    "members_per_kit": ["3", 2.5, True, -1],
    "province": [5, [], "\x00", "x" * 61],
    "regency": [5, [], "\x00", "x" * 101],
    "vulnerable_first": [None, 1, "true", []],
    "start_date": ["2021-13-01", 5, "01/02/2021"],
    "end_date": ["9999-12-31", True],
}


def _refused(response) -> bool:
    return response.status_code in {400, 404, 409, 415, 422} and response.mimetype == PROBLEM_JSON


def test_broken_bodies_are_refused_with_a_problem_and_change_nothing(client, api, world, make):
    round_ = _new_round(api, world)
    make.household()
    headers = api("admin").headers
    paths = ["/api/v1/rounds", f"/api/v1/rounds/{round_['id']}/allocate"]
    for path in paths:
        for data in BROKEN_BODIES:
            response = client.post(
                path, data=data, content_type="application/json", headers=headers
            )
            assert _refused(response), (path, data[:20], response.status_code)
        response = client.post(
            path, data=json.dumps({}), content_type="text/plain", headers=headers
        )
        assert response.status_code == 415
    for field, values in BROKEN_ROUND_VALUES.items():
        for value in values:
            response = api("admin").post("/api/v1/rounds", json=_body(world, **{field: value}))
            assert _refused(response), (field, value, response.status_code)
    allocate = f"/api/v1/rounds/{round_['id']}/allocate"
    for value in [5, "HH-1", [5], [None], [""], ["\x00"], ["x" * 33], [], {"a": 1}]:
        response = api("admin").post(allocate, json={"households": value})
        assert _refused(response), (value, response.status_code)
    assert api("admin").get("/api/v1/rounds").get_json()["total"] == 1
    assert _parcel_count() == 0
