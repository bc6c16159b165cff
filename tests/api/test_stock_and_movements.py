"""Stock levels per warehouse and batch, and the ledger newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kitlog.extensions import db
from kitlog.services import stock
from tests.api.helpers import assert_problem


def _transfer(world, quantity: int):
    stock.transfer_stock(
        db.session,
        batch=world.batch,
        from_warehouse=world.jakarta,
        to_warehouse=world.surabaya,
        quantity=quantity,
        user=None,
    )
    db.session.commit()


def test_stock_lists_each_batch_in_each_warehouse(api, world):
    _transfer(world, 40)
    page = api("warehouse").get("/api/v1/stock").get_json()
    assert page["total"] == 2
    items = {(i["warehouse"], i["batch"]): i for i in page["items"]}
    jkt = items[("JKT-01", world.batch_id)]
    sby = items[("SBY-01", world.batch_id)]
    assert (jkt["on_hand"], jkt["reserved"], jkt["available"]) == (60, 0, 60)
    assert (sby["on_hand"], sby["reserved"], sby["available"]) == (40, 0, 40)


def test_stock_filters_by_warehouse_code_and_batch_id(api, world, make):
    _transfer(world, 40)
    other = make.batch(received=5, lot="LOT-B")
    client = api("admin")
    by_warehouse = client.get("/api/v1/stock?warehouse=SBY-01").get_json()["items"]
    assert [(i["warehouse"], i["on_hand"]) for i in by_warehouse] == [("SBY-01", 40)]
    by_batch = client.get(f"/api/v1/stock?batch={other.id}").get_json()["items"]
    assert [(i["warehouse"], i["batch"], i["on_hand"]) for i in by_batch] == [
        ("JKT-01", other.id, 5)
    ]
    both = client.get(f"/api/v1/stock?warehouse=jkt-01&batch={world.batch_id}").get_json()
    assert [i["on_hand"] for i in both["items"]] == [60]


def test_an_empty_filter_is_no_filter(api, world):
    page = api("admin").get("/api/v1/stock?warehouse=&batch=").get_json()
    assert page["total"] == 1


def test_an_unknown_warehouse_in_the_query_is_422_naming_it(api, world):
    assert_problem(api("warehouse").get("/api/v1/stock?warehouse=NOPE"), 422, field="warehouse")


@pytest.mark.parametrize("batch", ["999999", "abc", "0", "-3", "99999999999999999999"])
def test_an_unknown_or_malformed_batch_in_the_query_is_422_naming_it(api, world, batch):
    assert_problem(api("warehouse").get(f"/api/v1/stock?batch={batch}"), 422, field="batch")


def test_movements_are_the_ledger_newest_first(api, world):
    _transfer(world, 10)
    items = api("warehouse").get("/api/v1/movements").get_json()["items"]
    assert [m["kind"] for m in items] == ["transfer_in", "transfer_out", "receipt"]
    newest = items[0]
    assert newest["batch"] == world.batch_id
    assert newest["warehouse"] == "SBY-01"
    assert newest["quantity"] == 10
    assert isinstance(newest["transfer"], int)
    created = datetime.fromisoformat(newest["created_at"])
    assert created.utcoffset() is not None  # ISO 8601 with an offset
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)


def test_movements_filter_by_batch_warehouse_and_kind(api, world, make):
    _transfer(world, 10)
    other = make.batch(received=5, damaged=1, lot="LOT-B")
    client = api("admin")
    by_batch = client.get(f"/api/v1/movements?batch={other.id}").get_json()
    assert {m["kind"] for m in by_batch["items"]} == {"receipt", "loss"}
    by_warehouse = client.get("/api/v1/movements?warehouse=SBY-01").get_json()
    assert [m["kind"] for m in by_warehouse["items"]] == ["transfer_in"]
    losses = client.get("/api/v1/movements?kind=loss").get_json()
    assert [(m["batch"], m["quantity"]) for m in losses["items"]] == [(other.id, -1)]


def test_movements_filter_by_local_date(api, world):
    client = api("admin")
    today = datetime.now(UTC).date()
    last_year = (today - timedelta(days=365)).isoformat()
    tomorrow = (today + timedelta(days=2)).isoformat()
    assert client.get(f"/api/v1/movements?date_from={last_year}").get_json()["total"] == 1
    assert client.get(f"/api/v1/movements?date_from={tomorrow}").get_json()["total"] == 0
    assert client.get(f"/api/v1/movements?date_to={last_year}").get_json()["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=stolen", "kind"),
        ("date_from=2020-13-45", "date_from"),
        ("date_to=9999-12-31", "date_to"),
        ("warehouse=NOPE", "warehouse"),
        ("batch=12345", "batch"),
    ],
)
def test_invalid_movement_filters_are_422_naming_the_field(api, world, query, field):
    assert_problem(api("warehouse").get(f"/api/v1/movements?{query}"), 422, field=field)
