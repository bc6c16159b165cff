"""A warehouse's `timezone` through the API: its province's unless given, an IANA name
or 422."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, row_counts

BODY = {"code": "MTR-01", "name": "Gudang Mataram", "province": "NTB", "regency": "Mataram"}


@pytest.mark.parametrize(
    ("place", "zone"),
    [
        ({"province": "NTB", "regency": "Mataram"}, "Asia/Makassar"),
        ({"province": "Sulawesi Selatan", "regency": "Kota Makassar"}, "Asia/Makassar"),
        ({"province": "Provinsi Papua Pegunungan", "regency": "Jayawijaya"}, "Asia/Jayapura"),
        ({"province": "Kalimantan Barat", "regency": "Kota Pontianak"}, "Asia/Jakarta"),
        ({"regency_code": "73.71"}, "Asia/Makassar"),  # by code: the province's is known
        ({"village_code": "9501011001"}, "Asia/Jayapura"),
    ],
)
def test_a_warehouse_takes_its_provinces_zone(api, world, place, zone):
    client = api("admin")
    body = {"code": BODY["code"], "name": BODY["name"], **place}
    created = client.post("/api/v1/warehouses", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["timezone"] == zone
    assert client.get("/api/v1/warehouses/MTR-01").get_json()["timezone"] == zone


def test_a_zone_given_is_kept_and_listed(api, world):
    client = api("admin")
    body = {**BODY, "timezone": "Asia/Jayapura"}
    assert client.post("/api/v1/warehouses", json=body).get_json()["timezone"] == "Asia/Jayapura"
    items = api("warehouse").get("/api/v1/warehouses").get_json()["items"]
    assert {w["code"]: w["timezone"] for w in items}["MTR-01"] == "Asia/Jayapura"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "WITA", "../etc/passwd", "Asia/" + "x" * 70, 7])
def test_a_name_that_is_no_zone_is_422_and_writes_nothing(api, world, zone):
    before = row_counts()
    response = api("admin").post("/api/v1/warehouses", json={**BODY, "timezone": zone})
    assert_problem(response, 422, field="timezone")
    assert row_counts() == before


def test_the_message_is_in_the_readers_language(api, world):
    response = api("admin", language="id").post(
        "/api/v1/warehouses", json={**BODY, "timezone": "Mars/Olympus"}
    )
    assert "Mars/Olympus bukan zona waktu" in response.get_data(as_text=True)
