"""Transfers between warehouses: stock is conserved and never oversold."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, row_counts


def _total_on_hand(client, batch_id: int) -> int:
    return sum(
        i["on_hand"] for i in client.get(f"/api/v1/stock?batch={batch_id}").get_json()["items"]
    )


def test_a_transfer_answers_201_and_conserves_total_stock(api, world):
    client = api("warehouse")
    before = _total_on_hand(client, world.batch_id)
    response = client.post("/api/v1/transfers", json=world.transfer_body(quantity=30, note="Jatim"))
    assert response.status_code == 201
    transfer = response.get_json()
    assert (transfer["from_warehouse"], transfer["to_warehouse"]) == ("JKT-01", "SBY-01")
    assert (transfer["batch"], transfer["quantity"], transfer["note"]) == (
        world.batch_id,
        30,
        "Jatim",
    )
    assert isinstance(transfer["id"], int)
    assert _total_on_hand(client, world.batch_id) == before == 100
    levels = {
        i["warehouse"]: i["on_hand"]
        for i in client.get(f"/api/v1/stock?batch={world.batch_id}").get_json()["items"]
    }
    assert levels == {"JKT-01": 70, "SBY-01": 30}
    batch = client.get(f"/api/v1/batches/{world.batch_id}").get_json()
    assert (batch["on_hand"], batch["lost"]) == (100, 0)


def test_transfer_beyond_available_stock_is_409_and_writes_nothing(api, world):
    before = row_counts()
    response = api("warehouse").post("/api/v1/transfers", json=world.transfer_body(quantity=101))
    body = assert_problem(response, 409)
    assert (body["requested"], body["available"]) == (101, 100)
    assert row_counts() == before


def test_transfer_from_a_warehouse_without_that_batch_is_409(api, world):
    body = world.transfer_body(from_warehouse="SBY-01", to_warehouse="JKT-01", quantity=1)
    problem = assert_problem(api("warehouse").post("/api/v1/transfers", json=body), 409)
    assert problem["available"] == 0


def test_transfer_of_everything_leaves_zero_and_the_next_is_409(api, world):
    client = api("warehouse")
    assert (
        client.post("/api/v1/transfers", json=world.transfer_body(quantity=100)).status_code == 201
    )
    assert_problem(client.post("/api/v1/transfers", json=world.transfer_body(quantity=1)), 409)


def test_transfer_to_the_same_warehouse_is_422(api, world):
    body = world.transfer_body(to_warehouse="JKT-01")
    assert_problem(api("warehouse").post("/api/v1/transfers", json=body), 422, field="to_warehouse")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"batch": 999999}, "batch"),
        ({"from_warehouse": "NOPE"}, "from_warehouse"),
        ({"to_warehouse": "NOPE"}, "to_warehouse"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -5}, "quantity"),
        ({"quantity": "5"}, "quantity"),
        ({"note": "x" * 501}, "note"),
    ],
)
def test_invalid_transfers_are_422_naming_the_field_and_write_nothing(api, world, changes, field):
    before = row_counts()
    response = api("warehouse").post("/api/v1/transfers", json=world.transfer_body(**changes))
    assert_problem(response, 422, field=field)
    assert row_counts() == before
