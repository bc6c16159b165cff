"""The rounds API takes and answers a round's verification and mode."""

from __future__ import annotations

import pytest

from kitlog.extensions import db
from kitlog.models import Round
from tests.api.helpers import assert_problem


def _body(world, **changes) -> dict:
    body = {"name": "KOICA round 1", "batches": [world.batch_id], "warehouse": "JKT-01"}
    return {**body, "entitlement": 1, **changes}


def test_a_round_answers_its_verification_and_mode_with_their_defaults(api, world):
    created = api("admin").post("/api/v1/rounds", json=_body(world))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["verification"], body["mode"]) == ("none", "door")
    listed = api("warehouse").get("/api/v1/rounds").get_json()["items"]
    assert [(r["verification"], r["mode"]) for r in listed] == [("none", "door")]


def test_a_round_asking_for_the_card_at_sites_is_stored_and_read_back(api, world):
    created = api("admin").post(
        "/api/v1/rounds", json=_body(world, verification="card", mode="site")
    )
    assert created.status_code == 201, created.get_json()
    round_id = created.get_json()["id"]
    read = api("field").get(f"/api/v1/rounds/{round_id}").get_json()
    assert (read["verification"], read["mode"]) == ("card", "site")
    stored = db.session.get(Round, round_id)
    assert (stored.verification, stored.mode) == ("card", "site")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"verification": "face"}, "verification", "Choose one of the verifications none, card."),
        ({"mode": "post"}, "mode", "Choose one of the modes door, site."),
    ],
)
def test_an_unknown_verification_or_mode_is_422_naming_the_choices(
    api, world, changes, field, message
):
    response = api("admin").post("/api/v1/rounds", json=_body(world, **changes))
    body = assert_problem(response, 422, field=field)
    assert message in [e["message"] for e in body["errors"]]
    assert api("admin").get("/api/v1/rounds").get_json()["total"] == 0
