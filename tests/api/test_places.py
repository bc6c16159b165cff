"""docs/api.md, Places: GET /api/v1/places lists Indonesia's official places for the
forms' pick-lists: a level's places under their parent, or those whose names match what
was typed (regardless of case, spacing and the words written before names), never more
than MAX_PLACES and never a whole level below the regency; any logged-in user, with a
token or the browser's session; the same answer for everyone, which the browser keeps."""

from __future__ import annotations

from collections import Counter

import pytest

from kitlog.services import places
from kitlog.services.place_lists import MAX_PLACES
from tests.api.helpers import assert_problem

URL = "/api/v1/places"


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [item["name"] for item in response.get_json()["items"]]


@pytest.fixture
def officer(api):
    return api("field")


def test_the_provinces_are_listed_whole_in_the_order_of_their_codes(officer):
    body = officer.get(f"{URL}?level=province").get_json()
    assert len(body["items"]) == 38
    assert body["items"][0] == {"code": "11", "name": "Aceh", "level": "province", "parent": None}
    codes = [item["code"] for item in body["items"]]
    assert codes == sorted(codes)
    assert "Daerah Khusus Ibukota Jakarta" in [item["name"] for item in body["items"]]


def test_a_parent_lists_its_places_whole(officer):
    regencies = officer.get(f"{URL}?level=regency&parent=35").get_json()["items"]
    assert len(regencies) == 38
    assert {item["parent"] for item in regencies} == {"35"}
    assert {"level": "regency", "code": "35.07", "name": "Kabupaten Malang", "parent": "35"} in (
        regencies
    )
    # a code with or without its dots
    turen = names(officer.get(f"{URL}?level=village&parent=350709"))
    assert turen == names(officer.get(f"{URL}?level=village&parent=35.07.09"))
    assert len(turen) == 17 and turen[0] == "Sedayu" and "Gedok Kulon" in turen


def test_the_cap_holds_the_largest_parents_places_whole():
    """No parent's list is ever cut short: the cap is above the most children any place
    of the shipped list has (108 villages of one district)."""
    children = Counter(place.parent for place in places.gazetteer().by_code.values())
    parent, most = children.most_common(1)[0]
    assert parent is None or most <= MAX_PLACES
    below_provinces = [n for code, n in children.items() if code is not None]
    assert max(below_provinces) < MAX_PLACES


def test_the_largest_district_lists_every_village(officer):
    children = Counter(
        place.parent for place in places.gazetteer().by_code.values() if place.level == "village"
    )
    district, count = children.most_common(1)[0]
    assert len(names(officer.get(f"{URL}?level=village&parent={district}"))) == count > 100


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("level=regency&parent=35&q=kab.%20malang", ["Kabupaten Malang"]),
        ("level=regency&parent=35&q=KABUPATEN%20%20MALANG", ["Kabupaten Malang"]),
        ("level=regency&parent=35&q=Kab%20Malang", ["Kabupaten Malang"]),
        ("level=regency&parent=35&q=kota%20malang", ["Kota Malang"]),
        ("level=regency&parent=35&q=%20Kota%20%20Malang%20", ["Kota Malang"]),
        ("level=regency&parent=35&q=malang", ["Kabupaten Malang", "Kota Malang"]),
        ("level=regency&parent=35&q=ma%20lang", ["Kabupaten Malang", "Kota Malang"]),
        ("level=regency&parent=35&q=kota%20ma", ["Kota Malang", "Kota Madiun"]),
        ("level=district&parent=35.07&q=TU-REN", ["Turen"]),
        ("level=district&parent=35.07&q=kecamatan%20turen", ["Turen"]),
        ("level=village&parent=35.07.09&q=desa%20sedayu", ["Sedayu"]),
        ("level=village&parent=35.07.09&q=gedok", ["Gedok Kulon", "Gedok Wetan"]),
        ("level=province&q=jatim", ["Jawa Timur"]),
        ("level=province&q=jawa", ["Jawa Barat", "Jawa Tengah", "Jawa Timur"]),
        ("level=province&q=DKI", ["Daerah Khusus Ibukota Jakarta"]),
        ("level=regency&parent=35&q=nowhere", []),
    ],
)
def test_q_matches_names_regardless_of_case_spacing_and_prefixes(officer, query, expected):
    assert names(officer.get(f"{URL}?{query}")) == expected


def test_the_name_itself_comes_first_then_names_that_start_with_it(officer):
    found = names(officer.get(f"{URL}?level=village&parent=35.07.09&q=turen"))
    assert found[0] == "Turen"


def test_a_prefix_alone_lists_every_place_of_its_kind(officer):
    cities = names(officer.get(f"{URL}?level=regency&parent=35&q=Kota"))
    assert len(cities) == 9 and all(name.startswith("Kota ") for name in cities)
    regencies = names(officer.get(f"{URL}?level=regency&parent=35&q=kab."))
    assert len(regencies) == 29 and all(name.startswith("Kabupaten ") for name in regencies)
    assert len(names(officer.get(f"{URL}?level=village&parent=35.07.09&q=desa"))) == 17


def test_a_name_is_searched_in_the_whole_country_with_three_letters(officer):
    found = officer.get(f"{URL}?level=village&q=sedayu").get_json()["items"]
    exact = [item for item in found if item["name"] == "Sedayu"]
    assert len(exact) > 5 and found[: len(exact)] == exact  # the name itself first
    assert "35.07.09.1008" in {item["code"] for item in exact}
    assert all("sedayu" in item["name"].lower().replace(" ", "") for item in found)
    assert names(officer.get(f"{URL}?level=district&q=turen"))[0] == "Turen"


def test_no_answer_holds_more_than_the_cap(officer):
    assert len(names(officer.get(f"{URL}?level=regency"))) == MAX_PLACES  # of 514
    assert len(names(officer.get(f"{URL}?level=village&q=sum"))) == MAX_PLACES


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "level"),
        ("level=county", "level"),
        ("level=Province", "level"),
        ("level=village", "parent"),
        ("level=district&q=%20", "parent"),
        ("level=village&q=se", "q"),
        ("level=village&q=desa", "q"),
        ("level=village&parent=99.99.99", "parent"),
        ("level=village&parent=35.07", "parent"),
        ("level=regency&parent=35.07", "parent"),
        ("level=province&parent=35", "parent"),
        ("level=regency&parent=abc", "parent"),
        ("level=regency&parent=35&q=" + "a" * 101, "q"),
    ],
)
def test_a_bad_query_is_422_on_its_field(officer, query, field):
    response = officer.get(f"{URL}?{query}")
    assert_problem(response, 422, field=field)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_refusals_speak_the_readers_language(api):
    body = api("field", language="id").get(f"{URL}?level=village&parent=35.07").get_json()
    assert body["errors"][0]["field"] == "parent"
    assert "35.07" in body["errors"][0]["message"]
    assert "Give the code" not in body["detail"]


@pytest.mark.parametrize("role", ["admin", "warehouse", "field"])
def test_the_staff_read_the_places(api, role):
    assert names(api(role).get(f"{URL}?level=regency&parent=35&q=kota%20malang")) == ["Kota Malang"]


def test_a_donor_reads_no_places(api):
    assert_problem(api("donor").get(f"{URL}?level=province"), 403)


def test_without_a_login_the_places_are_401(api):
    assert_problem(api(None).get(f"{URL}?level=province"), 401)


def test_the_browsers_session_reads_the_places(client, auth):
    auth.login("field")
    assert names(client.get(f"{URL}?level=province&q=bali")) == ["Bali"]


def test_the_browser_keeps_the_answer_and_asks_again_with_its_etag(officer, client):
    first = officer.get(f"{URL}?level=village&parent=35.07.09")
    assert first.headers["Cache-Control"] == "private, max-age=86400"
    etag = first.headers["ETag"]
    again = client.get(
        f"{URL}?level=village&parent=35.07.09",
        headers={**officer.headers, "If-None-Match": etag},
    )
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["Cache-Control"] == "private, max-age=86400"
    other = officer.get(f"{URL}?level=village&parent=35.07.08")
    assert other.headers["ETag"] != etag


def test_the_answer_is_the_same_in_both_languages(api):
    english = api("field", language="en").get(f"{URL}?level=province")
    indonesian = api("field", language="id").get(f"{URL}?level=province")
    assert english.get_json() == indonesian.get_json()
    assert english.headers["ETag"] == indonesian.headers["ETag"]


def test_the_openapi_document_describes_the_places(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/places"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["level"]["required"] is True
    assert parameters["level"]["schema"]["enum"] == list(places.LEVELS)
    assert {"parent", "q"} <= set(parameters)
    assert {"200", "401", "422"} <= set(operation["responses"])
    assert str(MAX_PLACES) in operation["responses"]["200"]["description"]
