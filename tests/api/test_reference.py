"""Donors, kit types and warehouses: the admin keeps them, staff read them."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_problem, row_counts

NEW = {
    "donors": {"code": "ECHO", "name": "European Civil Protection", "country": "EU"},
    "kit-types": {
        "code": "HK-IND",
        "name": "Individual hygiene kit",
        "name_id": "Paket kebersihan perorangan",
        "weight_kg": 1.25,
        "volume_m3": 0.0125,
        "contents": [
            {"item": "Soap", "item_id": "Sabun", "quantity": 2, "unit": "bars"},
            {"item": "Masks", "item_id": "", "quantity": 10, "unit": "pcs"},
        ],
    },
    "warehouses": {
        "code": "MDN-01",
        "name": "Gudang Medan",
        "province": "Sumatera Utara",
        "regency": "Kota Medan",
        "address": "Jl. Gatot Subroto 1",
    },
}
EXISTING = {"donors": "KOICA", "kit-types": "HK-FAM", "warehouses": "JKT-01"}


@pytest.mark.parametrize("kind", NEW)
def test_admin_creates_and_reads_back_by_code(api, world, kind):
    client = api("admin")
    response = client.post(f"/api/v1/{kind}", json=NEW[kind])
    assert response.status_code == 201
    created = response.get_json()
    assert {k: created[k] for k in NEW[kind]} == NEW[kind]
    assert isinstance(created["id"], int)
    read = client.get(f"/api/v1/{kind}/{NEW[kind]['code'].lower()}")
    assert read.status_code == 200
    assert read.get_json() == created


@pytest.mark.parametrize("kind", NEW)
def test_a_duplicate_code_is_409_and_writes_nothing(api, world, kind):
    before = row_counts()
    body = {**NEW[kind], "code": EXISTING[kind].lower()}
    assert_problem(api("admin").post(f"/api/v1/{kind}", json=body), 409, field="code")
    assert row_counts() == before


@pytest.mark.parametrize("kind", NEW)
@pytest.mark.parametrize("code", ["NOPE", "x" * 32])
def test_an_unknown_code_is_404(api, world, kind, code):
    assert_problem(api("warehouse").get(f"/api/v1/{kind}/{code}"), 404)


@pytest.mark.parametrize("kind", NEW)
@pytest.mark.parametrize("code", ["%00", "A%00B", "x" * 1000, "%C3%84%C3%96", "a%20b", "-AB"])
def test_a_malformed_code_in_the_url_is_404(api, world, kind, code):
    assert_problem(api("warehouse").get(f"/api/v1/{kind}/{code}"), 404)


@pytest.mark.parametrize("kind", NEW)
def test_lists_are_paginated_by_code(api, world, kind):
    client = api("admin")
    client.post(f"/api/v1/{kind}", json=NEW[kind])
    page = client.get(f"/api/v1/{kind}?per_page=1&page=2").get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 1, 1 + (kind == "warehouses") + 1)
    assert len(page["items"]) == 1


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("donors", {"code": "has space"}, "code"),
        ("donors", {"code": "ÄÖÜ"}, "code"),
        ("donors", {"code": "A" * 33}, "code"),
        ("donors", {"name": ""}, "name"),
        ("donors", {"name": "bell\x07"}, "name"),
        ("kit-types", {"weight_kg": -1}, "weight_kg"),
        ("kit-types", {"volume_m3": "lots"}, "volume_m3"),
        ("kit-types", {"contents": []}, "contents"),
        (
            "kit-types",
            {"contents": [{"item": "Soap", "quantity": 0, "unit": "bar"}]},
            "contents.0.quantity",
        ),
        ("kit-types", {"contents": [{"item": "Soap", "unit": "bar"}]}, "contents.0.quantity"),
        ("kit-types", {"name_id": "x" * 201}, "name_id"),
        (
            "kit-types",
            {"contents": [{"item": "Soap", "item_id": "x" * 201, "quantity": 1, "unit": "bar"}]},
            "contents.0.item_id",
        ),
        ("warehouses", {"province": "Atlantis"}, "province"),
        ("warehouses", {"regency": None}, "regency"),
        ("warehouses", {"address": "x" * 501}, "address"),
    ],
)
def test_invalid_reference_values_are_422_naming_the_field(api, world, kind, changes, field):
    before = row_counts()
    response = api("admin").post(f"/api/v1/{kind}", json={**NEW[kind], **changes})
    assert_problem(response, 422, field=field)
    assert row_counts() == before


def test_non_ascii_names_are_kept_as_sent(api, world):
    body = {**NEW["warehouses"], "name": "Gudang Sidoarjo — Jawa Timur ✓", "address": "Jl. Ñ 1"}
    created = api("admin").post("/api/v1/warehouses", json=body).get_json()
    assert (created["name"], created["address"]) == (body["name"], body["address"])


def test_a_duplicate_that_slips_past_the_check_is_still_409_and_writes_nothing(
    api, world, monkeypatch
):
    """Two admins creating the same code at the same instant: the unique constraint
    refuses the second, and the API answers as the service's own check would."""
    monkeypatch.setattr("kitlog.services.reference._unique", lambda *args: None)
    before = row_counts()
    response = api("admin").post("/api/v1/donors", json={**NEW["donors"], "code": "KOICA"})
    assert_problem(response, 409)
    assert row_counts() == before


def test_a_kit_type_sent_without_indonesian_names_has_them_empty(api, world):
    client = api("admin")
    sent = {
        "code": "HK-EN",
        "name": "English only kit",
        "weight_kg": 1,
        "volume_m3": 0.01,
        "contents": [{"item": "Soap", "quantity": 1, "unit": "bar"}],
    }
    created = client.post("/api/v1/kit-types", json=sent).get_json()
    assert created["name_id"] == ""
    assert created["contents"] == [{"item": "Soap", "item_id": "", "quantity": 1, "unit": "bar"}]


def test_a_warehouse_is_placed_by_its_village_code_and_answers_every_code(api, world):
    client = api("admin")
    body = {"code": "MLG-01", "name": "Gudang Turen", "village_code": "3507091008"}
    created = client.post("/api/v1/warehouses", json=body)
    assert created.status_code == 201, created.get_json()
    answer = client.get("/api/v1/warehouses/MLG-01").get_json()
    assert {k: answer[k] for k in PLACE_FIELDS} == {
        "province": "Jawa Timur",
        "regency": "Kabupaten Malang",
        "district": "Turen",
        "village": "Sedayu",
        "province_code": "35",
        "regency_code": "35.07",
        "district_code": "35.07.09",
        "village_code": "35.07.09.1008",
    }
    listed = client.get("/api/v1/warehouses").get_json()["items"]
    assert {w["code"]: w["regency_code"] for w in listed} == {
        "JKT-01": "31.74",  # Jakarta Selatan
        "SBY-01": "35.78",  # Kota Surabaya
        "MLG-01": "35.07",
    }


PLACE_FIELDS = (
    "province",
    "regency",
    "district",
    "village",
    "province_code",
    "regency_code",
    "district_code",
    "village_code",
)


def test_a_regency_name_that_means_two_places_is_422_with_both(api, world):
    before = row_counts()
    body = {**NEW["warehouses"], "province": "Jawa Timur", "regency": "Malang"}
    problem = assert_problem(api("admin").post("/api/v1/warehouses", json=body), 422)
    (error,) = problem["errors"]
    assert error["field"] == "regency"
    assert [(s["code"], s["name"]) for s in error["suggestions"]] == [
        ("35.07", "Kabupaten Malang"),
        ("35.73", "Kota Malang"),
    ]
    assert row_counts() == before
