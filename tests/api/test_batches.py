"""Receiving donor batches and reading them back with where their kits are."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from kitlog.extensions import db
from tests.api.helpers import assert_problem, row_counts


def test_receiving_a_batch_answers_201_with_its_stock(api, world):
    response = api("warehouse").post("/api/v1/batches", json=world.batch_body())
    assert response.status_code == 201
    batch = response.get_json()
    assert isinstance(batch["id"], int)
    assert batch["donor"] == "KOICA"
    assert batch["kit_type"] == "HK-FAM"
    assert batch["warehouse"] == "JKT-01"
    assert batch["lot"] == "KOICA-HK-2020-001"
    assert batch["expiry_date"] == "2023-11-30"
    assert batch["received_date"] == "2020-12-07"
    assert batch["quantity_pledged"] == 5000
    for key in ("on_hand", "reserved", "in_transit", "delivered", "lost"):
        assert isinstance(batch[key], int), key


def test_a_damaged_receipt_shows_on_hand_received_minus_damaged_and_the_damage_as_lost(api, world):
    body = world.batch_body(quantity_received=4990, quantity_damaged=10)
    created = api("warehouse").post("/api/v1/batches", json=body).get_json()
    assert created["on_hand"] == 4980
    assert created["lost"] == 10
    assert created["received"] == 4990
    read = api("admin").get(f"/api/v1/batches/{created['id']}").get_json()
    assert (read["on_hand"], read["lost"], read["available"]) == (4980, 10, 4980)
    ledger = api("admin").get(f"/api/v1/movements?batch={created['id']}").get_json()["items"]
    assert sorted((m["kind"], m["quantity"]) for m in ledger) == [("loss", -10), ("receipt", 4990)]


def test_codes_are_matched_whatever_their_case(api, world):
    body = world.batch_body(donor="koica", kit_type="hk-fam", warehouse=" jkt-01 ")
    response = api("warehouse").post("/api/v1/batches", json=body)
    assert response.status_code == 201
    assert response.get_json()["warehouse"] == "JKT-01"


def test_expiry_date_may_be_left_out(api, world):
    body = world.batch_body()
    del body["expiry_date"]
    response = api("warehouse").post("/api/v1/batches", json=body)
    assert response.status_code == 201
    assert response.get_json()["expiry_date"] is None


@pytest.mark.parametrize("field", ["donor", "kit_type", "warehouse"])
def test_a_code_that_names_nothing_known_is_422_naming_the_field(api, world, field):
    before = row_counts()
    response = api("warehouse").post("/api/v1/batches", json=world.batch_body(**{field: "NOPE"}))
    assert_problem(response, 422, field=field)
    assert row_counts() == before


def test_more_damaged_than_received_is_422(api, world):
    body = world.batch_body(quantity_received=5, quantity_damaged=6)
    assert_problem(
        api("warehouse").post("/api/v1/batches", json=body), 422, field="quantity_damaged"
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity_received": 0}, "quantity_received"),
        ({"quantity_received": -1}, "quantity_received"),
        ({"quantity_pledged": -1}, "quantity_pledged"),
        ({"reference": "   "}, "reference"),
        ({"lot": ""}, "lot"),
        ({"received_date": "2020-13-45"}, "received_date"),
        ({"expiry_date": "30/11/2023"}, "expiry_date"),
        ({"received_date": None}, "received_date"),
    ],
)
def test_invalid_batch_values_are_422_naming_the_field(api, world, changes, field):
    before = row_counts()
    response = api("warehouse").post("/api/v1/batches", json=world.batch_body(**changes))
    assert_problem(response, 422, field=field)
    assert row_counts() == before


def test_a_missing_field_is_422_naming_it(api, world):
    body = world.batch_body()
    del body["quantity_received"]
    response = api("warehouse").post("/api/v1/batches", json=body)
    body = assert_problem(response, 422, field="quantity_received")
    assert body["errors"][0]["message"] == "Missing data for required field."


def test_batch_list_is_paginated_with_stock(api, world, make):
    make.batch(received=7, lot="LOT-B")
    page = api("warehouse").get("/api/v1/batches?per_page=1").get_json()
    assert set(page) >= {"items", "page", "per_page", "total"}
    assert (page["page"], page["per_page"], page["total"]) == (1, 1, 2)
    assert len(page["items"]) == 1
    item = page["items"][0]
    for key in ("id", "on_hand", "reserved", "in_transit", "delivered", "lost"):
        assert key in item


def test_batch_list_reads_the_stock_of_a_whole_page_in_a_fixed_number_of_queries(
    app, api, world, make
):
    client = api("admin")
    client.get("/api/v1/batches")  # warm up: the token user is loaded the same way each time

    def statements_for_listing() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/api/v1/batches").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    with_one = statements_for_listing()
    for n in range(8):
        make.batch(received=5 + n, lot=f"LOT-N{n}")
    assert statements_for_listing() == with_one


def test_one_batch_answers_with_its_stock(api, world):
    response = api("warehouse").get(f"/api/v1/batches/{world.batch_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == world.batch_id
    assert (body["on_hand"], body["reserved"], body["in_transit"], body["delivered"]) == (
        100,
        0,
        0,
        0,
    )


@pytest.mark.parametrize("batch_id", ["999999", "0", "2147483648", "99999999999999999999999"])
def test_an_unknown_batch_is_404(api, world, batch_id):
    assert_problem(api("warehouse").get(f"/api/v1/batches/{batch_id}"), 404)


@pytest.mark.parametrize("batch_id", ["abc", "-1", "1.5", "%00"])
def test_a_batch_id_that_is_not_a_whole_number_is_404(api, world, batch_id):
    assert_problem(api("warehouse").get(f"/api/v1/batches/{batch_id}"), 404)
