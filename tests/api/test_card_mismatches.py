"""`GET /api/v1/follow-ups/card-mismatches` (parcels whose household card did not match at
sync, whatever their status) and `POST /api/v1/follow-ups/card-mismatches/resolve` (a
short note, audited; the flag cleared)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import AuditEvent
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import T0, ScanWorld

PATH = "/api/v1/follow-ups/card-mismatches"


@pytest.fixture
def w(make) -> ScanWorld:
    """Parcel 0 delivered offline and flagged at sync; parcel 1 flagged while allocated."""
    world = ScanWorld(make)
    world.on_the_road(world.parcels[:1])
    world.scan(world.parcels[0], "deliver")
    for parcel, at in ((world.parcels[0], T0), (world.parcels[1], T0 - timedelta(hours=1))):
        parcel.flag = "card_mismatch"
        parcel.flagged_at = at
    db.session.commit()
    return world


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def _code(parcel) -> str:
    return format_short_code(parcel.short_code)


def test_the_list_marks_each_mismatch_with_when_it_was_flagged(w, as_user):
    answer = as_user(w.siti).get(PATH).get_json()
    assert answer["total"] == 2
    assert [(i["code"], i["status"]) for i in answer["items"]] == [
        (_code(w.parcels[1]), "allocated"),
        (_code(w.parcels[0]), "delivered"),
    ]
    item = answer["items"][1]
    assert item["flag"] == "card_mismatch"
    assert item["flag_name"] == "Card did not match at sync"
    assert item["flagged_at"].startswith("2026-12-03T14:02")  # T0 on Surabaya's clock
    assert item["household"]["head_name"]  # a field officer reads households
    assert item["round"] == {"id": w.round.id, "name": "Round 1"}


def test_the_warehouse_sees_the_list_without_names_and_cannot_resolve(w, as_user):
    answer = as_user(w.budi).get(PATH).get_json()
    assert answer["total"] == 2
    assert "head_name" not in answer["items"][0]["household"]
    response = as_user(w.budi).post(
        f"{PATH}/resolve", json={"parcel": _code(w.parcels[0]), "note": "checked"}
    )
    assert_problem(response, 403)


def test_resolving_clears_the_flag_and_is_audited(w, as_user):
    response = as_user(w.siti).post(
        f"{PATH}/resolve",
        json={"parcel": _code(w.parcels[0]), "note": "The neighbour took it for them"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"parcel": _code(w.parcels[0]), "flag": None}
    assert [i["code"] for i in as_user(w.siti).get(PATH).get_json()["items"]] == [
        _code(w.parcels[1])
    ]
    audited = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "parcel.flag_resolved", AuditEvent.user_id == w.siti.id)
    )
    assert audited == 1
    again = as_user(w.siti).post(
        f"{PATH}/resolve", json={"parcel": _code(w.parcels[0]), "note": "again"}
    )
    assert_problem(again, 409)


def test_a_resolution_without_a_note_is_422_and_changes_nothing(w, as_user):
    response = as_user(w.admin).post(
        f"{PATH}/resolve", json={"parcel": _code(w.parcels[0]), "note": " "}
    )
    body = assert_problem(response, 422, field="note")
    assert "Say in a few words how it was resolved." in [e["message"] for e in body["errors"]]
    db.session.expire_all()
    assert w.parcels[0].flag == "card_mismatch"


def test_an_unknown_parcel_is_404(w, as_user):
    response = as_user(w.admin).post(f"{PATH}/resolve", json={"parcel": "NOPE", "note": "x"})
    assert_problem(response, 404)
