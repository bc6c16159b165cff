"""GET /api/v1/reports/donors/{code}: the Reports JSON of docs/api.md, in kits; the admin reads any
donor's, a donor user only their own."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.api.helpers import assert_problem
from tests.worlds import ReportWorld

URL = "/api/v1/reports/donors/{}"


@pytest.fixture
def report_world(make) -> ReportWorld:
    world = ReportWorld(make)
    world.play()
    return world


def test_the_report_answers_api_md_fields_in_kits(api, report_world):
    body = api("admin").get(URL.format("KOICA")).get_json()
    assert {"donor", "batches", "by_region", "timeline", "reconciled"} <= set(body)
    assert body["donor"] == "KOICA" and body["reconciled"] is True
    batch_fields = {
        "id", "reference", "pledged", "received", "lost", "adjusted", "on_hand", "reserved",
        "in_transit", "delivered", "households_reached", "people_reached",
    }  # fmt: skip
    for batch in body["batches"]:
        assert batch_fields <= set(batch)
    lot_a = next(b for b in body["batches"] if b["id"] == report_world.a.id)
    assert {k: lot_a[k] for k in batch_fields - {"id", "reference"}} == {
        "pledged": 10, "received": 10, "lost": 1, "adjusted": 0, "on_hand": 2, "reserved": 2,
        "in_transit": 1, "delivered": 6, "households_reached": 3, "people_reached": 12,
    }  # fmt: skip
    assert lot_a["lost_by_reason"] == [{"reason": "damaged at receipt", "kits": 1}]
    assert body["by_region"] == [
        {"province": "Jawa Tengah", "province_code": "33", "regency": "Kabupaten Cilacap",
         "regency_code": "33.01", "delivered": 0, "households_targeted": 2, "households_reached": 0,
         "people_reached": 0, "vulnerable_households_reached": 0, "first_delivery": None,
         "last_delivery": None, "delivered_to_collector": 0},
        {"province": "Jawa Timur", "province_code": "35", "regency": "Kabupaten Malang",
         "regency_code": "35.07", "delivered": 4, "households_targeted": 2, "households_reached": 2,
         "people_reached": 7, "vulnerable_households_reached": 1, "delivered_to_collector": 0,
         "first_delivery": "2026-12-03", "last_delivery": "2026-12-03"},
        {"province": "Jawa Timur", "province_code": "35", "regency": "Kota Surabaya",
         "regency_code": "35.78", "delivered": 2, "households_targeted": 2, "households_reached": 1,
         "people_reached": 5, "vulnerable_households_reached": 0, "delivered_to_collector": 0,
         "first_delivery": "2026-12-04", "last_delivery": "2026-12-04"},
    ]  # fmt: skip
    assert body["households_targeted"] == 6
    assert body["timeline"] == [
        {"date": "2026-12-03", "delivered": 4, "cumulative": 4},
        {"date": "2026-12-04", "delivered": 2, "cumulative": 6},
    ]
    assert body["target"] == 85 and body["success_rate"] == pytest.approx(0.6)
    assert (body["households_reached"], body["people_reached"]) == (3, 12)
    assert body["vulnerable_households_reached"] == 1


def test_a_donor_user_reads_their_own_report_only(api, report_world):
    koica = api("donor", donor=report_world.koica)
    assert koica.get(URL.format("KOICA")).status_code == 200
    assert koica.get(URL.format("koica")).status_code == 200
    assert_problem(koica.get(URL.format("DFAT")), 403)
    assert_problem(koica.get(URL.format("NOBODY")), 403)  # codes cannot be probed
    dfat = api("donor", donor=report_world.dfat).get(URL.format("DFAT")).get_json()
    assert [b["reference"] for b in dfat["batches"]] == ["AGR-1"]
    assert dfat["households_reached"] == 1


def test_an_unknown_donor_is_404_and_a_bad_code_never_reaches_the_view(api, report_world):
    admin = api("admin")
    assert_problem(admin.get(URL.format("NOBODY")), 404)
    assert admin.get(URL.format("KO.ICA")).status_code == 404


@pytest.mark.parametrize("role", ["warehouse", "field"])
def test_staff_roles_other_than_the_admin_may_not(api, report_world, role):
    assert_problem(api(role).get(URL.format("KOICA")), 403)


def test_anonymous_is_401(api, report_world):
    assert_problem(api(None).get(URL.format("KOICA")), 401)


def test_the_openapi_document_describes_the_report_and_stays_valid(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    operation = spec["paths"]["/api/v1/reports/donors/{code}"]["get"]
    assert {"200", "401", "403", "404"} <= set(operation["responses"])
    schema_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"donor", "batches", "by_region", "timeline", "reconciled"} <= set(schema["required"])
