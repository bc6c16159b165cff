"""The households API (docs/api.md, Households): register, search, read, correct."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Household, Parcel, Round
from tests.api.helpers import assert_problem

NIK = "3507124506850001"


def _body(**changes) -> dict:
    body = {
        "head_name": "Siti Rahayu",
        "worker_name": "Agus Santoso",
        "worker_relation": "spouse",
        "nik": NIK,
        "phone": "0812-3456-7890",
        "province": "Jatim",
        "regency": "KAB.  MALANG",
        "district": "Turen",
        "village": "Sedayu",
        "members": 5,
        "vulnerabilities": ["elderly", "under5"],
        "consent": True,
    }
    body.update(changes)
    return body


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Household))


def _put(client, path, body):
    return client.client.put(path, json=body, headers=client.headers)


def _fields(body) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body.get("errors", [])}


# -- registering -------------------------------------------------------------------------


def test_a_field_officer_registers_a_household_and_gets_its_code(api):
    response = api("field").post("/api/v1/households", json=_body())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["code"] == "HH-000001"
    assert body["nik"] == NIK
    assert body["phone"] == "+6281234567890"
    assert body["province"] == "Jawa Timur"
    assert body["regency"] == "Kabupaten Malang"  # written "KAB. malang": the official name
    assert (body["province_code"], body["regency_code"]) == ("35", "35.07")
    assert (body["district_code"], body["village_code"]) == ("35.07.09", "35.07.09.1008")
    assert body["members"] == 5
    assert body["vulnerabilities"] == ["elderly", "under5"]
    assert body["consent"] is True and body["consent_date"]
    assert body["status"] == "active"
    assert body["created_at"].endswith("+07:00")
    assert _count() == 1


def test_a_household_registered_by_its_village_code_alone_gets_the_names(api):
    body = _body(village_code="3507092007")
    for name in ("province", "regency", "district", "village"):
        del body[name]
    response = api("field").post("/api/v1/households", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["village_code"] == "35.07.09.2007"
    assert (answer["province"], answer["regency"]) == ("Jawa Timur", "Kabupaten Malang")
    assert (answer["district"], answer["village"]) == ("Turen", "Talok")


def test_a_code_and_names_that_disagree_are_422_on_the_name(api):
    response = api("field").post(
        "/api/v1/households", json=_body(village_code="35.07.09.2007", village="Sedayu")
    )
    body = assert_problem(response, 422, field="village")
    assert "35.07.09.2007" in _fields(body)["village"]
    assert _count() == 0


def test_an_ambiguous_regency_is_422_with_both_as_suggestions(api):
    response = api("field").post("/api/v1/households", json=_body(regency="Malang"))
    body = assert_problem(response, 422, field="regency")
    error = next(e for e in body["errors"] if e["field"] == "regency")
    assert [s["code"] for s in error["suggestions"]] == ["35.07", "35.73"]
    assert "Kabupaten Malang (35.07)" in error["message"]
    assert "Kota Malang (35.73)" in error["message"]
    assert _count() == 0


def test_an_unknown_village_is_422_with_up_to_three_suggestions(api):
    response = api("field", language="id").post("/api/v1/households", json=_body(village="Gedok"))
    body = assert_problem(response, 422, field="village")
    error = next(e for e in body["errors"] if e["field"] == "village")
    names = {s["name"] for s in error["suggestions"]}
    assert {"Gedok Kulon", "Gedok Wetan"} <= names and len(names) <= 3
    assert "Turen" in error["message"] and "Gedok Kulon" in error["message"]
    assert _count() == 0


def test_a_nik_whose_district_is_not_official_is_422(api):
    response = api("field").post("/api/v1/households", json=_body(nik="3507991201850001"))
    body = assert_problem(response, 422, field="nik")
    assert "35.07.99" in _fields(body)["nik"]


def test_correcting_the_village_alone_keeps_the_district_and_changes_the_codes(api, make):
    household = make.household(village="Sedayu")
    response = _put(api("field"), f"/api/v1/households/{household.code}", {"village": "talok"})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["village"], response.get_json()["village_code"]) == (
        "Talok",
        "35.07.09.2007",
    )


def test_a_registered_nik_is_409_naming_the_field_and_the_household(api, make):
    existing = make.household(nik=NIK)
    response = api("field").post("/api/v1/households", json=_body(head_name="Someone Else"))
    body = assert_problem(response, 409, field="nik")
    assert body["existing"] == existing.code
    assert existing.code in _fields(body)["nik"]
    assert _count() == 1


def test_a_registered_nik_is_409_in_indonesian_too(api, make):
    make.household(nik=NIK)
    response = api("field", language="id").post("/api/v1/households", json=_body())
    body = assert_problem(response, 409, field="nik")
    assert response.headers["Content-Language"] == "id"
    assert body["title"] != "Conflict"


def test_a_look_alike_is_409_with_its_codes_until_confirmed(api, make):
    existing = make.household(
        head_name="SITI  rahayu", village="Sedayu", district="Turen", regency="Kab. Malang"
    )
    client = api("admin")
    body = assert_problem(
        client.post("/api/v1/households", json=_body(nik="3507124506850002")), 409
    )
    assert body["possible_duplicates"] == [existing.code]
    assert _count() == 1

    confirmed = client.post(
        "/api/v1/households", json=_body(nik="3507124506850002", confirm_duplicate=True)
    )
    assert confirmed.status_code == 201, confirmed.get_json()
    assert _count() == 2


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_bad_value_is_listed_and_nothing_is_saved(api, language):
    response = api("field", language=language).post(
        "/api/v1/households",
        json=_body(
            head_name="",
            nik="3507124506850000",
            phone="12345",
            province="Atlantis",
            worker_relation="neighbour",
            members=0,
            vulnerabilities=["tall"],
            consent_date="2999-01-01",
        ),
    )
    body = assert_problem(response, 422)
    assert set(_fields(body)) == {
        "head_name",
        "nik",
        "phone",
        "province",
        "worker_relation",
        "members",
        "vulnerabilities",
        "consent_date",
    }
    if language == "en":
        assert _fields(body)["nik"] == "The last four digits of a NIK are never 0000."
        assert _fields(body)["province"] == "Atlantis is not one of Indonesia's 38 provinces."
    assert _count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("members", "5"),
        ("members", 5.5),
        ("consent", "yes"),
        ("consent", 1),
        ("vulnerabilities", "elderly;under5"),
        ("nik", 3507124506850001),
        ("confirm_duplicate", "true"),
    ],
)
def test_json_types_matter(api, field, value):
    response = api("field").post("/api/v1/households", json=_body(**{field: value}))
    assert_problem(response, 422, field=field)
    assert _count() == 0


def test_a_missing_value_is_named_by_the_service(api):
    body = _body()
    del body["village"], body["consent"]
    problem = assert_problem(api("field").post("/api/v1/households", json=body), 422)
    assert set(_fields(problem)) == {"village", "consent"}


# -- reading and searching ---------------------------------------------------------------


@pytest.fixture
def registry(make):
    return {
        "siti": make.household(head_name="Siti Rahayu", village="Sedayu", nik=NIK),
        "budi": make.household(
            head_name="Budi Hartono", regency="Kota Batu", district="Batu", village="Oro-Oro Ombo"
        ),
        "made": make.household(
            head_name="Made Wirawan",
            province="Kalimantan Barat",
            regency="Kabupaten Sambas",
            district="Teluk Keramat",
            village="Sayang Sedayu",
            nik=make.nik("51"),
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["made", "budi", "siti"]),
        ({"q": "HH-000002"}, ["budi"]),
        ({"q": NIK}, ["siti"]),
        ({"q": "rahayu"}, ["siti"]),
        ({"q": "sedayu"}, ["made", "siti"]),
        ({"q": "sedayu", "province": "Kalbar"}, ["made"]),
        ({"province": "61"}, ["made"]),
        ({"province": "jatim", "regency": "kota batu"}, ["budi"]),
        ({"regency": "35.79"}, ["budi"]),
        ({"regency": "Malang"}, ["siti"]),  # Kabupaten and Kota Malang
        ({"regency": "kab malang"}, ["siti"]),
        ({"q": "nobody"}, []),
    ],
)
def test_search(api, registry, query, expected):
    response = api("field").get("/api/v1/households", query_string=query)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [item["code"] for item in body["items"]] == [registry[n].code for n in expected]
    assert body["total"] == len(expected)


def test_search_pages(api, registry):
    body = (
        api("admin").get("/api/v1/households", query_string={"per_page": 2, "page": 2}).get_json()
    )
    assert [item["code"] for item in body["items"]] == [registry["siti"].code]
    assert (body["page"], body["per_page"], body["total"]) == (2, 2, 3)


def test_an_unknown_province_filter_is_422(api, registry):
    assert_problem(
        api("field").get("/api/v1/households", query_string={"province": "Atlantis"}),
        422,
        field="province",
    )


def test_one_household_with_its_parcels_of_every_round(api, make):
    household = make.household()
    warehouse = make.warehouse("JKT-01")
    for n, status in ((1, "delivered"), (2, "allocated")):
        round_ = Round(name=f"Round {n}", warehouse=warehouse, entitlement=1)
        db.session.add(
            Parcel(
                round=round_,
                household=household,
                kits=1,
                status=status,
                token=secrets.token_hex(10),
                short_code=f"AAA-BBB-CC{n}",
                created_at=datetime(2020 + n, 1, 1, tzinfo=UTC),
                updated_at=datetime(2020 + n, 1, 1, tzinfo=UTC),
            )
        )
    db.session.commit()
    response = api("field").get(f"/api/v1/households/{household.code}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == household.code and body["nik"] == household.nik
    assert [(p["round_name"], p["code"], p["status"]) for p in body["parcels"]] == [
        ("Round 2", "AAA-BBB-CC2", "allocated"),
        ("Round 1", "AAA-BBB-CC1", "delivered"),
    ]


def test_an_unknown_household_is_404(api):
    assert_problem(api("field").get("/api/v1/households/HH-999999"), 404)
    assert_problem(_put(api("field"), "/api/v1/households/HH-999999", _body()), 404)


# -- correcting --------------------------------------------------------------------------


def test_a_correction_keeps_the_code_and_what_was_left_out(api, make):
    household = make.household(members=3, vulnerabilities=["pregnant"])
    response = _put(
        api("field"),
        f"/api/v1/households/{household.code}",
        {"members": 4, "phone": "+62 812 0000 1111", "status": "inactive"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["code"] == household.code
    assert (body["members"], body["phone"], body["status"]) == (4, "+6281200001111", "inactive")
    assert body["vulnerabilities"] == ["pregnant"]
    assert body["head_name"] == household.head_name


def test_a_correction_refuses_another_households_nik(api, make):
    first, second = make.household(), make.household()
    response = _put(api("admin"), f"/api/v1/households/{second.code}", {"nik": first.nik})
    assert_problem(response, 409, field="nik")
    db.session.expire_all()
    assert db.session.get(Household, second.id).nik != first.nik


def test_a_correction_lists_every_bad_value(api, make):
    household = make.household()
    response = _put(
        api("field", language="id"),
        f"/api/v1/households/{household.code}",
        {"members": 99, "province": "Atlantis"},
    )
    assert set(_fields(assert_problem(response, 422))) == {"members", "province"}


# -- who may -------------------------------------------------------------------------------


def _calls(code):
    return [
        ("GET", "/api/v1/households"),
        ("POST", "/api/v1/households"),
        ("GET", f"/api/v1/households/{code}"),
        ("PUT", f"/api/v1/households/{code}"),
    ]


def _send(client, method, path):
    if method == "GET":
        return client.get(path)
    if method == "PUT":
        return _put(client, path, _body(nik="3507124506850009"))
    return client.post(path, json=_body(nik="3507124506850009"))


@pytest.mark.parametrize("role", ["donor", "warehouse"])
@pytest.mark.parametrize("call", range(4))
def test_donors_and_storekeepers_are_refused_every_household_endpoint(api, make, role, call):
    household = make.household()
    method, path = _calls(household.code)[call]
    response = _send(api(role), method, path)
    body = assert_problem(response, 403)
    assert household.head_name not in str(body)
    assert _count() == 1


@pytest.mark.parametrize("call", range(4))
def test_without_a_token_every_household_endpoint_is_401(api, make, call):
    household = make.household()
    method, path = _calls(household.code)[call]
    assert_problem(_send(api(None), method, path), 401)
    assert _count() == 1


def test_the_openapi_document_describes_the_households_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post = spec["paths"]["/api/v1/households"]["post"]
    assert {"201", "409", "422", "401", "403"} <= set(post["responses"])
    assert "/api/v1/households/{code}" in spec["paths"]
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/households/{code}"])
