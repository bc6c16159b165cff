"""Where a warehouse stands: official places, down to its regency at least and its village
if known, given by code or by names; its time zone follows its province's code."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from kitlog.extensions import db
from kitlog.services import reference
from kitlog.services.errors import InvalidValues


def _places(warehouse) -> tuple:
    return (
        warehouse.province_code,
        warehouse.regency_code,
        warehouse.district_code,
        warehouse.village_code,
        warehouse.province,
        warehouse.regency,
        warehouse.district,
        warehouse.village,
    )


def _refusal(**where) -> list[tuple[str, str, list[str]]]:
    with pytest.raises(InvalidValues) as refused, force_locale("en"):
        reference.create_warehouse(db.session, code="MLG-01", name="Gudang Malang", **where)
    with force_locale("en"):
        return [
            (e.field, str(e.message), [s["code"] for s in e.suggestions])
            for e in refused.value.errors
        ]


def test_a_village_code_names_every_place_of_the_warehouse(app):
    warehouse = reference.create_warehouse(
        db.session, code="MLG-01", name="Gudang Turen", village_code="3507091008"
    )
    assert _places(warehouse) == (
        "35",
        "35.07",
        "35.07.09",
        "35.07.09.1008",
        "Jawa Timur",
        "Kabupaten Malang",
        "Turen",
        "Sedayu",
    )


def test_names_are_matched_to_the_official_places_and_stored_as_they_are_written_there(app):
    warehouse = reference.create_warehouse(
        db.session,
        code="MLG-01",
        name="Gudang Malang",
        province="jatim",
        regency="KAB. MALANG",
        district="kecamatan turen",
    )
    assert _places(warehouse) == (
        "35",
        "35.07",
        "35.07.09",
        None,
        "Jawa Timur",
        "Kabupaten Malang",
        "Turen",
        None,
    )


def test_a_regency_code_is_enough_and_the_district_and_village_are_found_under_it(app):
    regency_only = reference.create_warehouse(
        db.session, code="MTR-01", name="Gudang Mataram", regency_code="5271"
    )
    assert _places(regency_only)[:2] == ("52", "52.71")
    assert (regency_only.regency, regency_only.timezone) == ("Kota Mataram", "Asia/Makassar")
    under = reference.create_warehouse(
        db.session,
        code="MLG-01",
        name="Gudang Turen",
        regency_code="35.07",
        district="Turen",
        village="Sedayu",
    )
    assert under.village_code == "35.07.09.1008"


def test_the_zone_is_the_province_codes_unless_one_is_given(app):
    papua = reference.create_warehouse(
        db.session, code="WMN-01", name="Gudang Wamena", village_code="95.01.01.1001"
    )
    assert papua.timezone == "Asia/Jayapura"
    kept = reference.create_warehouse(
        db.session, code="MTR-01", name="Gudang", regency_code="52.71", timezone="Asia/Jakarta"
    )
    assert kept.timezone == "Asia/Jakarta"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (
            {"province": "Jawa Timur", "regency": "Malang"},
            [
                (
                    "regency",
                    "Malang in Jawa Timur may be any of: Kabupaten Malang (35.07), Kota Malang"
                    " (35.73). Choose one, or give its code.",
                    ["35.07", "35.73"],
                )
            ],
        ),
        (
            {"province": "Jawa Timur"},
            [("regency", "Choose the regency or city.", [])],
        ),
        (
            {"regency_code": "35.07", "district": "Turn"},
            [
                (
                    "district",
                    "Turn is not a place in Kabupaten Malang. Did you mean: Turen (35.07.09),"
                    " Bantur (35.07.03)?",
                    ["35.07.09", "35.07.03"],
                )
            ],
        ),
        (
            {"regency_code": "35"},
            [("regency_code", "35 is not the official code of a regency or city.", [])],
        ),
        (
            {"village_code": "35.07.09"},
            [("village_code", "35.07.09 is not the official code of a village.", [])],
        ),
        (
            {"village_code": "35.07.09.1008", "regency_code": "35.73"},
            [
                (
                    "regency_code",
                    "35.73 is not the regency of that village: it is in Kabupaten Malang (35.07).",
                    [],
                )
            ],
        ),
        (
            {"village_code": "35.07.09.1008", "regency": "Kota Malang"},
            [
                (
                    "regency",
                    "Kota Malang does not match the code 35.07 (Kabupaten Malang).",
                    [],
                )
            ],
        ),
        (
            {"province": "Atlantis", "regency": "Kota"},
            [("province", "Atlantis is not one of Indonesia's 38 provinces.", [])],
        ),
    ],
)
def test_a_place_that_is_not_official_or_not_clear_is_refused_with_suggestions(
    app, where, expected
):
    assert _refusal(**where) == expected


def test_a_correction_gives_the_places_again_and_may_give_them_by_code(make):
    warehouse = make.warehouse("JKT-01")
    assert (warehouse.regency_code, warehouse.timezone) == ("31.74", "Asia/Jakarta")
    reference.update_warehouse(
        db.session, warehouse, name="Gudang Mataram", village_code="52.71.01.1004"
    )
    db.session.commit()
    db.session.expire_all()
    assert _places(warehouse)[:4] == ("52", "52.71", "52.71.01", "52.71.01.1004")
    assert warehouse.timezone == "Asia/Makassar"  # it follows the province


def test_a_regency_named_alone_names_its_province_when_no_other_has_that_name(app):
    warehouse = reference.create_warehouse(
        db.session, code="MTR-01", name="Gudang Mataram", regency="Kota Mataram"
    )
    assert (warehouse.province, warehouse.province_code, warehouse.timezone) == (
        "Nusa Tenggara Barat",
        "52",
        "Asia/Makassar",
    )
