"""Losses and adjustments: a reason always, and never below zero."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, row_counts


def test_a_loss_answers_201_with_the_movement(api, world):
    response = api("warehouse").post("/api/v1/adjustments", json=world.adjustment_body())
    assert response.status_code == 201
    movement = response.get_json()
    assert (movement["kind"], movement["quantity"], movement["reason"]) == (
        "loss",
        -4,
        "Water damage",
    )
    assert (movement["batch"], movement["warehouse"]) == (world.batch_id, "JKT-01")
    batch = api("admin").get(f"/api/v1/batches/{world.batch_id}").get_json()
    assert (batch["on_hand"], batch["lost"]) == (96, 4)


@pytest.mark.parametrize("quantity", [7, -7])
def test_an_adjustment_is_signed(api, world, quantity):
    body = world.adjustment_body(kind="adjustment", quantity=quantity, reason="Recount")
    assert api("admin").post("/api/v1/adjustments", json=body).status_code == 201
    batch = api("admin").get(f"/api/v1/batches/{world.batch_id}").get_json()
    assert (batch["on_hand"], batch["adjusted"], batch["lost"]) == (100 + quantity, quantity, 0)


@pytest.mark.parametrize("kind", ["loss", "adjustment"])
def test_a_change_below_zero_is_409_and_writes_nothing(api, world, kind):
    before = row_counts()
    body = world.adjustment_body(kind=kind, quantity=-101)
    problem = assert_problem(api("warehouse").post("/api/v1/adjustments", json=body), 409)
    assert (problem["requested"], problem["available"]) == (101, 100)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ({"kind": "loss", "quantity": 5}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"kind": "dispatch"}, "kind"),
        ({"kind": "LOSS"}, "kind"),
        ({"quantity": -10_000_001}, "quantity"),
        ({"batch": 424242}, "batch"),
        ({"warehouse": "NOPE"}, "warehouse"),
        ({"reason": "x" * 501}, "reason"),
    ],
)
def test_invalid_adjustments_are_422_naming_the_field_and_write_nothing(api, world, changes, field):
    before = row_counts()
    response = api("warehouse").post("/api/v1/adjustments", json=world.adjustment_body(**changes))
    assert_problem(response, 422, field=field)
    assert row_counts() == before


def test_a_missing_reason_is_422(api, world):
    body = world.adjustment_body()
    del body["reason"]
    assert_problem(api("warehouse").post("/api/v1/adjustments", json=body), 422, field="reason")
