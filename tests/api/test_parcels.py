"""The parcels API: a parcel found by what a person types or a camera reads, and cancelled."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from kitlog.extensions import db
from kitlog.models import Parcel
from kitlog.services.parcel_codes import ALPHABET, format_short_code
from tests.api.helpers import assert_problem


@pytest.fixture
def parcel(api, world, make) -> Parcel:
    """One allocated parcel of 2 kits for a household of Sedayu."""
    admin = api("admin")
    body = {"name": "Round 1", "batches": [world.batch_id], "warehouse": "JKT-01"}
    round_ = admin.post("/api/v1/rounds", json={**body, "entitlement": 2}).get_json()
    make.household(head_name="Siti Rahayu", village="Sedayu", members=5)
    assert admin.post(f"/api/v1/rounds/{round_['id']}/allocate", json={}).status_code == 200
    return db.session.scalars(select(Parcel)).one()


def _typo(code: str) -> str:
    """The code with its check symbol replaced by another."""
    other = ALPHABET[(ALPHABET.index(code[-1]) + 1) % len(ALPHABET)]
    return code[:-1] + other


def test_a_parcel_shows_its_code_kits_round_household_lines_and_history(api, parcel, app):
    response = api("field").get(f"/api/v1/parcels/{parcel.short_code}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["code"] == format_short_code(parcel.short_code)
    assert body["token"] == parcel.token
    assert body["url"] == f"{app.config['BASE_URL']}/p/{parcel.token}"
    assert (body["kits"], body["status"]) == (2, "allocated")
    assert body["round"] == {
        "id": parcel.round_id,
        "name": "Round 1",
        "proof": "none",
        "verification": "none",
        "mode": "door",
    }
    household = body["household"]
    assert (household["code"], household["members"], household["village"]) == (
        parcel.household.code,
        5,
        "Sedayu",
    )
    assert household["head_name"] == "Siti Rahayu"
    assert body["lines"] == [{"batch": parcel.lines[0].batch_id, "lot": "LOT-A", "kits": 2}]
    assert [(h["from_status"], h["status"]) for h in body["history"]] == [(None, "allocated")]
    assert body["history"][0]["by"] == "Admin User"
    assert body["history"][0]["at"].endswith("+07:00")  # Asia/Jakarta


@pytest.mark.parametrize(
    "how",
    ["short code", "lower case hyphenated", "spaced", "token", "lower-case token", "url"],
)
def test_a_parcel_is_found_by_what_a_person_types_or_a_camera_reads(api, parcel, how):
    shown = format_short_code(parcel.short_code)
    code = {
        "short code": parcel.short_code,
        "lower case hyphenated": shown.lower(),
        "spaced": shown.replace("-", " "),
        "token": parcel.token,
        "lower-case token": parcel.token.lower(),
        "url": quote(f"https://kits.example.org/p/{parcel.token}", safe=""),
    }[how]
    response = api("warehouse").get(f"/api/v1/parcels/{quote(code, safe='')}")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["token"] == parcel.token
    by_query = api("warehouse").get("/api/v1/parcels", query_string={"code": code})
    assert by_query.status_code == 200, by_query.get_json()
    assert by_query.get_json()["token"] == parcel.token


def test_a_whole_qr_url_in_the_path_is_found(api, parcel):
    url = f"http://127.0.0.1:5000/p/{parcel.token}"
    response = api("admin").get(f"/api/v1/parcels/{quote(url, safe='')}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response = api("admin").get("/api/v1/parcels", query_string={"code": url})
    assert response.get_json()["code"] == format_short_code(parcel.short_code)


def test_a_short_code_with_a_typo_is_404_saying_it_has_a_typo(api, parcel):
    typo = format_short_code(_typo(parcel.short_code)).lower()
    body = assert_problem(api("field").get(f"/api/v1/parcels/{typo}"), 404)
    assert "typo" in body["detail"]
    body = assert_problem(api("field").get("/api/v1/parcels", query_string={"code": typo}), 404)
    assert "typo" in body["detail"]


@pytest.mark.parametrize(
    "code", ["NOPE", "222222222X", "https://kits.example.org/p/AAAAAAAAAAAAAAAA", "%00", "a/b/c"]
)
def test_an_unknown_code_is_404(api, parcel, code):
    body = assert_problem(api("field").get(f"/api/v1/parcels/{quote(code, safe='')}"), 404)
    assert "typo" not in body["detail"]


def test_a_missing_code_query_is_422(api, parcel):
    assert_problem(api("field").get("/api/v1/parcels"), 422, field="code")


def test_the_head_of_household_is_shown_only_to_those_who_may_read_households(api, parcel):
    for role in ("admin", "field"):
        body = api(role).get(f"/api/v1/parcels/{parcel.token}").get_json()
        assert body["household"]["head_name"] == "Siti Rahayu"
    body = api("warehouse").get(f"/api/v1/parcels/{parcel.token}").get_json()
    assert "head_name" not in body["household"]
    assert "Siti" not in str(body)


def test_a_donor_cannot_read_parcels(api, parcel):
    assert_problem(api("donor").get(f"/api/v1/parcels/{parcel.token}"), 403)
    assert_problem(api("donor").get("/api/v1/parcels", query_string={"code": parcel.token}), 403)
    assert_problem(api(None).get(f"/api/v1/parcels/{parcel.token}"), 401)


# -- cancelling ----------------------------------------------------------------------------


def test_cancelling_a_parcel_releases_its_kits_and_records_why(api, world, parcel):
    admin = api("admin")
    code = format_short_code(parcel.short_code).lower()
    response = admin.post(f"/api/v1/parcels/{code}/cancel", json={"reason": "moved to Batam"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "cancelled"
    assert body["history"][-1]["from_status"] == "allocated"
    assert body["history"][-1]["note"] == "moved to Batam"
    level = admin.get(f"/api/v1/stock?batch={world.batch_id}").get_json()["items"][0]
    assert (level["reserved"], level["available"]) == (0, 100)
    again = assert_problem(admin.post(f"/api/v1/parcels/{code}/cancel", json={}), 409)
    assert "cancelled" in again["detail"]


def test_a_parcel_is_cancelled_by_its_qr_url_without_a_body(api, parcel):
    url = quote(f"https://kits.example.org/p/{parcel.token}", safe="")
    response = api("admin").post(f"/api/v1/parcels/{url}/cancel")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"


@pytest.mark.parametrize("role", ["warehouse", "field", "donor"])
def test_only_an_admin_cancels_a_parcel(api, parcel, role):
    assert_problem(api(role).post(f"/api/v1/parcels/{parcel.token}/cancel", json={}), 403)
    assert_problem(api(None).post(f"/api/v1/parcels/{parcel.token}/cancel", json={}), 401)
    assert api("admin").get(f"/api/v1/parcels/{parcel.token}").get_json()["status"] == "allocated"


@pytest.mark.parametrize("reason", [5, None, [], "\x00", "x" * 501])
def test_a_bad_cancel_reason_is_422_and_cancels_nothing(api, parcel, reason):
    response = api("admin").post(f"/api/v1/parcels/{parcel.token}/cancel", json={"reason": reason})
    assert_problem(response, 422, field="reason")
    assert api("admin").get(f"/api/v1/parcels/{parcel.token}").get_json()["status"] == "allocated"


def test_cancelling_an_unknown_parcel_is_404(api, parcel):
    assert_problem(api("admin").post("/api/v1/parcels/NOPE/cancel", json={}), 404)
