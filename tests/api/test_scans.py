"""docs/api.md, Scans: POST /api/v1/scans, POST /api/v1/scans/batch, GET /api/v1/scans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openapi_schema_validator import OAS30Validator
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Parcel, ParcelEvent, Scan
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.api.malformed import WHOLE_BODY, refusal_fault
from tests.conftest import ApiClient
from tests.worlds import T0, ScanWorld

JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def w(make) -> ScanWorld:
    return ScanWorld(make)


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def body(parcel, action, key, **values) -> dict:
    return {"code": parcel.short_code, "action": action, "idempotency_key": key, **values}


def scan_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Scan))


def test_a_pack_scan_answers_ok_with_the_parcel_and_what_it_allows_now(w, as_user):
    parcel = w.parcels[0]
    response = as_user(w.budi).post(
        "/api/v1/scans",
        json=body(
            parcel,
            "pack",
            "8c3e5a0e-4f4e-4d8a-9f57-3f1c2b8d9e01",
            scanned_at=an_hour_ago_in_jakarta().isoformat(),
        ),
    )
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer["outcome"] == "ok"
    assert answer["idempotency_key"] == "8c3e5a0e-4f4e-4d8a-9f57-3f1c2b8d9e01"
    assert answer["parcel"]["code"] == format_short_code(parcel.short_code)
    assert answer["parcel"]["status"] == "packed"
    assert answer["parcel"]["actions"] == ["load"]
    assert "head_name" not in answer["parcel"]["household"]  # warehouse staff: no names


def an_hour_ago_in_jakarta() -> datetime:
    return (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).astimezone(JAKARTA)


def test_the_device_time_is_kept_as_the_same_instant_whatever_its_offset(w, as_user):
    parcel = w.parcels[0]
    phone_time = an_hour_ago_in_jakarta()
    response = as_user(w.budi).post(
        "/api/v1/scans",
        json=body(parcel, "pack", "device-time-kept-1", scanned_at=phone_time.isoformat()),
    )
    assert response.status_code == 200, response.get_json()
    stored = db.session.scalars(select(Scan)).one().scanned_at
    # SQLite hands the value back without its offset: it must be the UTC instant
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == phone_time.astimezone(UTC)


@pytest.mark.parametrize(
    "phone_time",
    ["0127-01-01T10:00:00+07:00", "1970-01-01T07:00:00+07:00", "2999-12-31T23:59:00+07:00"],
)
def test_a_phone_clock_that_cannot_be_right_still_counts_the_scan_at_the_server_time(
    w, as_user, phone_time
):
    """A phone reset to 1970 (or a year mistyped) must not put a delivery in another year of
    the donor's report: the scan stands, dated when the server received it."""
    parcel = w.parcels[0]
    before = datetime.now(UTC).replace(microsecond=0)
    response = as_user(w.budi).post(
        "/api/v1/scans",
        json=body(parcel, "pack", f"wrong-clock-{phone_time[:4]}", scanned_at=phone_time),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["parcel"]["status"] == "packed"
    scan = db.session.scalars(select(Scan)).one()
    assert scan.scanned_at is None
    listed = as_user(w.budi).get("/api/v1/scans").get_json()["items"]
    assert [item["scanned_at"] for item in listed] == [None]
    created = scan.created_at.replace(tzinfo=scan.created_at.tzinfo or UTC)
    assert before <= created <= datetime.now(UTC)


def test_a_refused_scan_is_a_409_problem_saying_who_and_when(w, as_user, time_machine):
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)  # a scan of this year: no year
    parcel = w.parcels[0]
    w.on_the_road([parcel])
    w.scan(parcel, "deliver")
    response = as_user(w.siti).post(
        "/api/v1/scans", json=body(parcel, "deliver", "second-delivery-1")
    )
    answer = assert_problem(response, 409)
    assert answer["outcome"] == "refused"
    assert answer["detail"] == "Already delivered on 3 Dec 14:02 by Siti Rahayu."
    assert answer["parcel"]["status"] == "delivered"
    assert answer["parcel"]["household"]["head_name"]  # the field officer sees the name


def test_the_refusal_is_in_the_language_of_accept_language(w, as_user, time_machine):
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    parcel = w.parcels[0]
    w.scan(parcel, "pack")
    response = as_user(w.budi, "id").post("/api/v1/scans", json=body(parcel, "pack", "id-lang-01"))
    answer = assert_problem(response, 409)
    assert "3 Des 14:02" in answer["detail"]
    assert response.headers["Content-Language"] == "id"


def test_packing_a_parcel_of_a_draft_round_is_a_409_problem(make, as_user):
    w = ScanWorld(make, opened=False)
    parcel = w.parcels[0]
    response = as_user(w.budi).post("/api/v1/scans", json=body(parcel, "pack", "draft-pack-1"))
    answer = assert_problem(response, 409)
    assert answer["outcome"] == "refused"
    assert answer["detail"].startswith("Its round Round 1 is not open yet")
    assert answer["parcel"]["status"] == "allocated" and answer["parcel"]["actions"] == []
    response = as_user(w.budi, "id").post(
        "/api/v1/scans", json=body(parcel, "pack", "draft-pack-2")
    )
    assert assert_problem(response, 409)["detail"].startswith("Putaran Round 1 belum dibuka")
    assert db.session.get(Parcel, parcel.id).status == "allocated"


def test_an_unknown_code_is_a_404_problem_and_is_recorded(w, as_user):
    response = as_user(w.budi).post(
        "/api/v1/scans",
        json={"code": "ABC-DEF-GHJ", "action": "pack", "idempotency_key": "unknown-01"},
    )
    answer = assert_problem(response, 404)
    assert answer["outcome"] == "unknown"
    assert db.session.scalars(select(Scan)).one().outcome == "unknown"


def test_the_same_key_again_repeats_the_first_status_as_a_duplicate(w, as_user):
    parcel = w.parcels[0]
    api = as_user(w.budi)
    first = api.post("/api/v1/scans", json=body(parcel, "pack", "dup-key-0001"))
    again = api.post("/api/v1/scans", json=body(parcel, "pack", "dup-key-0001"))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.get_json()["outcome"] == "duplicate"
    assert again.get_json()["parcel"]["status"] == "packed"
    refused = api.post("/api/v1/scans", json=body(parcel, "pack", "dup-key-0002"))
    refused_again = api.post("/api/v1/scans", json=body(parcel, "pack", "dup-key-0002"))
    assert assert_problem(refused, 409)["outcome"] == "refused"
    replay = assert_problem(refused_again, 409)
    assert replay["outcome"] == "duplicate"
    assert replay["detail"] == refused.get_json()["detail"]
    assert scan_rows() == 2
    events = db.session.scalar(
        select(func.count()).select_from(ParcelEvent).where(ParcelEvent.parcel_id == parcel.id)
    )
    assert events == 2  # allocated, packed


def test_the_same_key_with_another_code_or_action_is_422(w, as_user):
    first, second = w.parcels[:2]
    api = as_user(w.budi)
    api.post("/api/v1/scans", json=body(first, "pack", "reuse-key-01"))
    response = api.post("/api/v1/scans", json=body(second, "pack", "reuse-key-01"))
    assert_problem(response, 422, field="idempotency_key")
    response = api.post("/api/v1/scans", json=body(first, "return", "reuse-key-01"))
    assert_problem(response, 422, field="idempotency_key")
    assert scan_rows() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"action": "fly"}, "action"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"scanned_at": "yesterday"}, "scanned_at"),
        ({"scanned_at": "2026-12-03T14:02:00"}, "scanned_at"),
        ({"lat": 95}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"action": "fail", "reason": "bored"}, "reason"),
        ({"action": "fail"}, "reason"),
        ({"action": "deliver", "recipient_name": "x" * 121}, "recipient_name"),
        ({"action": "load", "manifest": "SBY-01/2026/0999"}, "manifest"),
        ({"action": "load", "manifest": True}, "manifest"),
    ],
)
def test_invalid_values_are_422_naming_the_field_and_are_not_scans(w, as_user, values, field):
    parcel = w.parcels[0]
    response = as_user(w.admin).post(
        "/api/v1/scans", json={**body(parcel, "pack", "invalid-key-1"), **values}
    )
    assert_problem(response, 422, field=field)
    assert scan_rows() == 0


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("warehouse", "pack", True),
        ("warehouse", "deliver", False),
        ("warehouse", "fail", False),
        ("field", "deliver", True),
        ("field", "pack", False),
        ("field", "load", False),
        ("field", "return", False),
        ("admin", "pack", True),
        ("admin", "deliver", True),
    ],
)
def test_each_role_scans_only_its_own_actions(w, api, role, action, allowed):
    parcel = w.parcels[0]
    response = api(role).post(
        "/api/v1/scans", json=body(parcel, action, f"role-{role}-{action}", reason="other")
    )
    if allowed:
        assert response.status_code in (200, 409), response.get_json()
        assert scan_rows() == 1
    else:
        assert_problem(response, 403)
        assert scan_rows() == 0


def test_a_donor_may_not_scan(w, api):
    response = api("donor").post("/api/v1/scans", json=body(w.parcels[0], "pack", "donor-key-1"))
    assert_problem(response, 403)


def test_a_browser_page_posts_a_scan_with_its_session_and_no_csrf_token(w, client, auth):
    auth.login("warehouse")
    response = client.post(
        "/api/v1/scans",
        json=body(w.parcels[0], "pack", "session-key-1"),
        headers={"Origin": "http://localhost"},
    )
    assert response.status_code == 200, response.get_json()


# -- batch ---------------------------------------------------------------------------------


def test_a_batch_answers_each_scan_in_order_each_standing_alone(w, as_user, time_machine):
    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    first, second, third = w.parcels[:3]
    w.scan(second, "pack")
    scans = [
        body(first, "pack", "batch-key-001"),
        body(second, "pack", "batch-key-002"),  # already packed
        {"code": "ABC-DEF-GHJ", "action": "pack", "idempotency_key": "batch-key-003"},
        body(third, "pack", "short"),  # invalid key
        body(third, "deliver", "batch-key-005"),  # not the warehouse's action
        "not a scan",
        body(third, "pack", "batch-key-007", lat="north"),
        body(third, "pack", "batch-key-008"),
        body(first, "pack", "batch-key-001"),  # the first again
    ]
    response = as_user(w.budi).post("/api/v1/scans/batch", json={"scans": scans})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [(r["status"], r["outcome"]) for r in results] == [
        (200, "ok"),
        (409, "refused"),
        (404, "unknown"),
        (422, "invalid"),
        (403, "forbidden"),
        (422, "invalid"),
        (422, "invalid"),
        (200, "ok"),
        (200, "duplicate"),
    ]
    assert results[1]["detail"] == "Already packed on 3 Dec 14:02 by Budi."
    assert results[1]["parcel"]["status"] == "packed"
    assert results[3]["errors"][0]["field"] == "idempotency_key"
    assert results[6]["errors"][0]["field"] == "lat"
    assert [r["idempotency_key"] for r in results][:3] == [
        "batch-key-001",
        "batch-key-002",
        "batch-key-003",
    ]
    db.session.expire_all()
    statuses = [db.session.get(Parcel, p.id).status for p in (first, second, third)]
    assert statuses == ["packed", "packed", "packed"]
    assert scan_rows() == 4 + 1  # ok, refused, unknown, ok (+ the pack made before)


@pytest.mark.parametrize("scans", [[], [{}] * 501, "x", None])
def test_a_batch_needs_from_1_to_500_scans(w, as_user, scans):
    response = as_user(w.budi).post("/api/v1/scans/batch", json={"scans": scans})
    assert_problem(response, 422, field="scans")


def test_a_batch_of_500_is_accepted(w, as_user):
    scans = [
        {"code": "ABC-DEF-GHJ", "action": "pack", "idempotency_key": f"many-{n:05d}"}
        for n in range(500)
    ]
    response = as_user(w.budi).post("/api/v1/scans/batch", json={"scans": scans})
    assert response.status_code == 200
    assert len(response.get_json()["results"]) == 500


# -- recent scans --------------------------------------------------------------------------


def test_my_recent_scans_come_newest_first_and_only_mine(w, as_user):
    first, second = w.parcels[:2]
    api = as_user(w.budi)
    api.post("/api/v1/scans", json=body(first, "pack", "mine-key-01"))
    api.post("/api/v1/scans", json=body(second, "pack", "mine-key-02"))
    w.scan(first, "pack", user=w.admin)  # someone else's
    answer = api.get("/api/v1/scans?mine=true&per_page=20").get_json()
    assert [i["idempotency_key"] for i in answer["items"]] == ["mine-key-02", "mine-key-01"]
    assert answer["items"][0]["parcel"]["status"] == "packed"
    assert answer["total"] == 2
    everyone = api.get("/api/v1/scans?mine=false").get_json()
    assert everyone["total"] == 2  # not an admin: still only mine
    admin_view = as_user(w.admin).get("/api/v1/scans?mine=false").get_json()
    assert admin_view["total"] == 3


@pytest.mark.parametrize("path", ["/api/v1/scans", "/api/v1/scans/batch"])
def test_a_malformed_scan_body_is_refused_with_a_problem_and_records_nothing(
    w, client, as_user, path
):
    scan = body(w.parcels[0], "pack", "malformed-key-1")
    valid = scan if path.endswith("/scans") else {"scans": [scan]}
    headers = as_user(w.budi).headers
    faults = {}
    for case, build in WHOLE_BODY:
        data, content_type = build(valid)
        fault = refusal_fault(client, path, headers, data, content_type)
        if fault:
            faults[case] = fault
    assert faults == {}
    assert scan_rows() == 0


def test_a_batch_scan_without_a_text_key_is_answered_with_a_null_key_as_documented(
    w, as_user, client
):
    """The offline queue may send a scan whose key is missing or not a text: its result
    says `idempotency_key: null`, and the published document allows exactly that."""
    scans = [
        {"code": "ABC-DEF-GHJ", "action": "pack"},
        {"code": "ABC-DEF-GHJ", "action": "pack", "idempotency_key": 12345678},
        body(w.parcels[0], "pack", "batch-key-null-1"),
    ]
    response = as_user(w.budi).post("/api/v1/scans/batch", json={"scans": scans})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [(r["outcome"], r["idempotency_key"]) for r in results] == [
        ("invalid", None),
        ("invalid", None),
        ("ok", "batch-key-null-1"),
    ]
    spec = client.get("/api/v1/openapi.json").get_json()
    answer = spec["paths"]["/api/v1/scans/batch"]["post"]["responses"]["200"]
    schema = {**answer["content"]["application/json"]["schema"], "components": spec["components"]}
    OAS30Validator(schema).validate(response.get_json())  # raises on any mismatch
