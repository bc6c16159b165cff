"""docs/api.md, Post-distribution monitoring: `POST /api/v1/rounds/{id}/pdm-sample` (a
seeded random sample of delivered households), `POST /api/v1/pdm` (a household's answers,
once; the same key again is the same response) and `GET /api/v1/rounds/{id}/pdm` (the
round's results)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import PdmResponse
from kitlog.services.parcel_codes import format_short_code
from tests.api.helpers import assert_problem
from tests.conftest import ApiClient
from tests.worlds import ScanWorld


@pytest.fixture
def w(make) -> ScanWorld:
    """Five households; four parcels delivered, one still on the road."""
    world = ScanWorld(make, households=5)
    world.on_the_road(world.parcels)
    for parcel in world.parcels[:4]:
        world.scan(parcel, "deliver")
    return world


@pytest.fixture
def as_user(client, make):
    def build(user, language="en") -> ApiClient:
        return ApiClient(client, make.token(user), language)

    return build


def draw(w, as_user, **body):
    return as_user(w.admin).post(f"/api/v1/rounds/{w.round.id}/pdm-sample", json=body)


def test_a_sample_lists_its_households_and_the_seed_repeats_it(w, as_user):
    first = draw(w, as_user, size=2, seed=123)
    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert (answer["round"], answer["seed"], answer["size"], answer["population"]) == (
        w.round.id,
        123,
        2,
        4,
    )
    codes = {format_short_code(p.short_code): p for p in w.parcels[:4]}
    assert len(answer["parcels"]) == 2
    for line in answer["parcels"]:
        parcel = codes[line["code"]]
        assert line["household"] == parcel.household.code
        assert line["village"] == parcel.household.village
        assert set(line) == {"code", "household", "village"}  # no name leaves with a sample
    again = draw(w, as_user, size=2, seed=123).get_json()
    assert again["parcels"] == answer["parcels"] and again["id"] != answer["id"]


def test_the_default_size_is_the_one_for_95_percent_and_10_points(w, as_user):
    answer = draw(w, as_user).get_json()
    assert answer["size"] == 4 and answer["population"] == 4  # 96.04 / (1 + 95.04/4) = 3.87
    assert isinstance(answer["seed"], int)


def test_a_sample_larger_than_the_delivered_parcels_is_refused_in_indonesian(w, as_user):
    body = assert_problem(
        as_user(w.admin, "id").post(f"/api/v1/rounds/{w.round.id}/pdm-sample", json={"size": 5}),
        422,
        field="size",
    )
    assert "Baru 4 paket putaran ini yang diterima: ambil paling banyak 4." in str(body)
    assert_problem(as_user(w.admin).post("/api/v1/rounds/999999/pdm-sample", json={}), 404)


def test_a_round_with_nothing_delivered_cannot_be_sampled(make, as_user):
    world = ScanWorld(make, households=2)
    body = assert_problem(
        as_user(world.admin, "id").post(f"/api/v1/rounds/{world.round.id}/pdm-sample", json={}),
        409,
    )
    assert body["detail"].startswith("Belum ada paket putaran ini yang diterima")


def respond(w, as_user, parcel, user=None, language="en", **values):
    body = {"parcel": format_short_code(parcel.short_code), "received_complete": True,
            "satisfaction": 5, **values}  # fmt: skip
    return as_user(user or w.siti, language).post("/api/v1/pdm", json=body)


def sampled(w, as_user) -> list:
    answer = draw(w, as_user, size=3, seed=9).get_json()
    by_code = {format_short_code(p.short_code): p for p in w.parcels}
    return [by_code[line["code"]] for line in answer["parcels"]]


def test_a_field_officer_records_a_households_answers(w, as_user):
    parcel = sampled(w, as_user)[0]
    response = respond(
        w, as_user, parcel, received_complete=False, items_missing=[2, "Mask"], satisfaction=3,
        comment="Sabun kurang satu", idempotency_key="phone-a",
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["parcel"] == format_short_code(parcel.short_code)
    assert answer["received_complete"] is False and answer["satisfaction"] == 3
    assert answer["items_missing"] == [
        {"position": 1, "item": "Mask"},
        {"position": 2, "item": "Soap"},
    ]
    assert answer["comment"] == "Sabun kurang satu"
    again = respond(w, as_user, parcel, idempotency_key="phone-a")
    assert again.status_code == 200 and again.get_json()["id"] == answer["id"]
    assert db.session.scalar(select(func.count()).select_from(PdmResponse)) == 1


def test_a_second_answer_for_a_parcel_is_refused_with_its_date(w, as_user):
    parcel = sampled(w, as_user)[0]
    assert respond(w, as_user, parcel).status_code == 201
    body = assert_problem(respond(w, as_user, parcel, language="id"), 409)
    assert "Rumah tangga ini sudah menjawab untuk paket ini pada" in body["detail"]


def test_a_parcel_not_delivered_or_not_sampled_is_refused(w, as_user):
    drawn = sampled(w, as_user)
    body = assert_problem(respond(w, as_user, w.parcels[4], language="id"), 409)
    assert "Paket ini belum diterima" in body["detail"]
    outside = next(p for p in w.parcels[:4] if p not in drawn)
    body = assert_problem(respond(w, as_user, outside, language="id"), 409)
    assert body["detail"] == "Paket ini tidak termasuk sampel pemantauan putarannya."


def test_bad_answers_are_refused_naming_each_field(w, as_user):
    parcel = sampled(w, as_user)[0]
    body = assert_problem(
        respond(
            w, as_user, parcel, received_complete=False, items_missing=["torch"], satisfaction=0
        ),  # fmt: skip
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"items_missing", "satisfaction"}
    assert_problem(respond(w, as_user, parcel, received_complete="yes"), 422)
    assert_problem(respond(w, as_user, parcel, comment="x" * 1001), 422, field="comment")


def test_the_results_sum_up_the_answers(w, as_user):
    first, second, third = sampled(w, as_user)
    respond(w, as_user, first, satisfaction=5)
    respond(w, as_user, second, received_complete=False, items_missing=[2], satisfaction=2)
    response = as_user(w.admin).get(f"/api/v1/rounds/{w.round.id}/pdm")
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert (answer["responses"], answer["complete"]) == (2, 1)
    assert answer["complete_rate"] == 0.5 and answer["satisfaction_mean"] == 3.5
    assert answer["satisfaction"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    assert answer["items_missing"] == [{"position": 2, "item": "Soap", "count": 1}]
    sample = answer["sample"]
    assert (sample["size"], sample["seed"], sample["population"], sample["answered"]) == (
        3,
        9,
        4,
        2,
    )


@pytest.mark.parametrize("role", ["warehouse", "donor"])
def test_the_warehouse_and_donors_may_not_sample_nor_answer(w, api, role):
    client = api(role)
    assert client.post(f"/api/v1/rounds/{w.round.id}/pdm-sample", json={}).status_code == 403
    assert client.get(f"/api/v1/rounds/{w.round.id}/pdm").status_code == 403
    body = {"parcel": w.parcels[0].short_code, "received_complete": True, "satisfaction": 5}
    assert client.post("/api/v1/pdm", json=body).status_code == 403


def test_a_field_officer_may_answer_but_not_sample(w, api):
    assert api("field").post(f"/api/v1/rounds/{w.round.id}/pdm-sample", json={}).status_code == 403
