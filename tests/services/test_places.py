"""Indonesia's official places: names matched to codes without guessing."""

from __future__ import annotations

import csv

import pytest

from kitlog.services import places
from kitlog.services.errors import InvalidValues


def _one(level: str, name: str, parent: str | None) -> str:
    found = places.gazetteer().named(level, name, parent)
    assert len(found) == 1, (name, found)
    return found[0].code


def _refused(raw: dict, **options) -> dict[str, object]:
    with pytest.raises(InvalidValues) as caught:
        places.resolve(raw, **options)
    return {e.field: e for e in caught.value.errors}


def test_the_shipped_list_is_whole():
    counts: dict[str, int] = {}
    for place in places.read_places():
        counts[place.level] = counts.get(place.level, 0) + 1
    assert counts == {"province": 38, "regency": 514, "district": 7285, "village": 83762}


def test_every_place_sits_under_a_parent_whose_code_begins_its_own():
    listed = places.gazetteer().by_code
    for place in listed.values():
        if place.level == "province":
            assert place.parent is None and len(place.code) == 2
        else:
            parent = listed[place.parent]
            assert place.code.startswith(parent.code + ".")
            assert places.LEVELS.index(parent.level) + 1 == places.LEVELS.index(place.level)


def test_the_data_travels_with_its_licence():
    licence = (places.DATA / "LICENSE.md").read_text(encoding="utf-8")
    assert "Open Database License" in licence
    with open(places.DATA / "provinces.csv", encoding="utf-8") as source:
        assert next(csv.reader(source)) == ["code", "name"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Kabupaten Malang", "35.07"),
        ("Kab. Malang", "35.07"),
        ("KAB.  MALANG", "35.07"),
        ("kab malang", "35.07"),
        ("Kota Malang", "35.73"),
        ("KOTA malang", "35.73"),
        ("Kotabaru", None),  # Kota is a prefix only as a whole word (not in Jawa Timur)
    ],
)
def test_regency_names_match_regardless_of_case_spacing_and_prefix(name, code):
    found = places.gazetteer().named("regency", name, "35")
    assert [p.code for p in found] == ([code] if code else [])


def test_malang_alone_is_two_regencies_and_is_never_guessed():
    errors = _refused({"province": "Jawa Timur", "regency": "Malang", "district": "Turen"})
    assert list(errors) == ["regency"]  # nothing below an unresolved place is looked for
    error = errors["regency"]
    assert [s["code"] for s in error.suggestions] == ["35.07", "35.73"]
    message = str(error.message)
    assert "Kabupaten Malang (35.07)" in message and "Kota Malang (35.73)" in message


def test_kotabaru_is_a_regency_named_kotabaru_not_a_city():
    assert _one("regency", "Kotabaru", "63") == "63.02"


def test_villages_match_under_their_district_only():
    assert _one("village", "desa  SEDAYU", "35.07.09") == "35.07.09.1008"
    assert _one("village", "gedok-kulon", "35.07.09") == "35.07.09.2005"
    assert places.gazetteer().named("village", "Sedayu", "35.07.14") == []  # Bululawang


def test_an_unknown_name_gets_up_to_three_suggestions_from_its_parent():
    errors = _refused(
        {"province": "Jatim", "regency": "Kab Malang", "district": "Turen", "village": "Gedok"}
    )
    suggestions = errors["village"].suggestions
    assert 1 <= len(suggestions) <= 3
    assert {"Gedok Kulon", "Gedok Wetan"} <= {s["name"] for s in suggestions}
    assert all(s["parent"] == "35.07.09" for s in suggestions)


def test_the_same_name_twice_in_one_district_is_ambiguous():
    # Oesao, Kupang Timur: a kelurahan and a desa of the same name
    errors = _refused(
        {
            "province": "NTT",
            "regency": "Kabupaten Kupang",
            "district": "Kupang Timur",
            "village": "Oesao",
        }
    )
    assert sorted(s["code"] for s in errors["village"].suggestions) == [
        "53.01.06.1004",
        "53.01.06.2015",
    ]


@pytest.mark.parametrize("code", ["3507091008", "35.07.09.1008", " 35.07.09.1008 "])
def test_a_village_code_with_or_without_dots_names_the_whole_address(code):
    address = places.resolve({"village_code": code})
    assert address is not None
    assert address.columns() == {
        "province": "Jawa Timur",
        "province_code": "35",
        "regency": "Kabupaten Malang",
        "regency_code": "35.07",
        "district": "Turen",
        "district_code": "35.07.09",
        "village": "Sedayu",
        "village_code": "35.07.09.1008",
    }


@pytest.mark.parametrize("code", ["35.07.09.9999", "3507", "35.07.09", "abc", "35070910080"])
def test_a_code_that_is_not_an_official_village_is_refused(code):
    errors = _refused({"village_code": code})
    assert list(errors) == ["village_code"]
    if code in ("3507", "35.07.09"):  # a regency's, a district's: not precise enough
        assert "village" in str(errors["village_code"].message)


def test_names_given_with_a_code_must_agree_with_it():
    errors = _refused({"village_code": "35.07.09.1008", "regency": "Kota Malang"})
    assert list(errors) == ["regency"]
    assert "35.07" in str(errors["regency"].message)
    agreed = places.resolve(
        {"village_code": "35.07.09.1008", "regency": "kab. malang", "village": "SEDAYU"}
    )
    assert agreed is not None and agreed.code == "35.07.09.1008"


def test_a_missing_level_is_named():
    errors = _refused({"province": "Jawa Timur", "regency": "Kabupaten Malang"})
    assert list(errors) == ["district"]


def test_an_area_may_stop_at_the_regency():
    address = places.resolve(
        {"province": "jatim", "regency": "kota malang"}, deepest="regency", required=""
    )
    assert address is not None and address.code == "35.73"
    assert places.resolve({}, deepest="regency", required="") is None


def test_province_short_names_and_codes():
    assert places.province_named("Jatim") == "Jawa Timur"
    assert places.province_named("35") == "Jawa Timur"
    assert places.province_named("DKI Jakarta") == "Daerah Khusus Ibukota Jakarta"
    assert places.province_named("Provinsi Bali") == "Bali"
    assert places.province_named("Atlantis") is None


def test_p_codes_are_the_code_without_dots_after_id():
    assert places.pcode("35") == "ID35"
    assert places.pcode("35.07") == "ID3507"
    assert places.pcode("35.07.09.1008") == "ID3507091008"
    assert places.pcode(None) == ""


def test_a_nik_needs_a_real_regency_and_district():
    assert places.nik_area_known("3507091201850001")
    assert not places.nik_area_known("3507991201850001")  # no district 99 in Kab. Malang
    assert not places.nik_area_known("3599011201850001")  # no regency 99 in Jawa Timur


def test_search_puts_exact_matches_first_then_prefixes():
    found = places.gazetteer().search("regency", q="malang")
    assert [p.code for p in found[:2]] == ["35.07", "35.73"]
    assert "33.27" in [p.code for p in found]  # Kabupaten Pemalang contains "malang"
    villages = places.gazetteer().search("village", parent="35.07.09", q="ged")
    assert [p.name for p in villages[:2]] == ["Gedok Kulon", "Gedok Wetan"]
    assert "Pagedangan" in [p.name for p in villages]  # "ged" inside the name, after


def test_best_match_stops_where_a_name_is_unknown_or_ambiguous():
    found = places.best_match(
        {"province": "Jawa Timur", "regency": "Kab. Malang", "district": "Turen", "village": "X"}
    )
    assert [p.code for p in found] == ["35", "35.07", "35.07.09"]
    assert places.best_match({"province": "Jawa Timur", "regency": "Malang"})[-1].code == "35"
