"""`kitlog places load` brings the places table up to the shipped list and keeps every code
still referred to; `kitlog places check` lists what needs correcting, for a person or as
CSV, and exits 1 while anything does."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select, text

from kitlog.cli import _CSV_HEADER as CSV_HEADER
from kitlog.extensions import db
from kitlog.models import Place
from kitlog.services import distribution as dist
from kitlog.services import place_checks
from tests.conftest import _truncate_all

LISTED = 91_599  # 38 provinces, 514 regencies, 7,285 districts, 83,762 villages


@pytest.fixture
def places_restored(app, db_backend, database_url):
    """The PostgreSQL half keeps the places table from one test to the next: put it back."""
    yield
    if db_backend == "postgresql":
        db.session.rollback()
        _truncate_all(database_url)
        place_checks.load_places(db.session)
        db.session.commit()


def sql(statement: str, **params) -> None:
    db.session.execute(text(statement), params)
    db.session.commit()


def place_name(code: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(Place.name).where(Place.code == code))


def count_places() -> int:
    return db.session.scalar(select(func.count()).select_from(Place))


def test_load_adds_renames_removes_and_keeps_what_is_referred_to(runner, make, places_restored):
    # the places table as an older list left it: a household and a warehouse refer to
    # places the list no longer has
    for code, level, parent, name in [
        ("35.07.09.9997", "village", "35.07.09", "Desa Dipakai"),
        ("35.07.09.9998", "village", "35.07.09", "Desa Tak Dipakai"),
        ("35.07.99", "district", "35.07", "Kecamatan Lama"),
        ("35.07.99.2001", "village", "35.07.99", "Desa Lama"),
    ]:
        sql(
            "INSERT INTO places (code, level, parent_code, name) VALUES (:c, :l, :p, :n)",
            c=code,
            l=level,
            p=parent,
            n=name,
        )
    household = make.household(village="Sedayu")
    _legacy(household, village="Desa Dipakai", village_code="35.07.09.9997")
    warehouse = make.warehouse("MLG-01", regency_code="35.07")
    sql(
        "UPDATE warehouses SET district_code = '35.07.99', village_code = '35.07.99.2001'"
        " WHERE id = :id",
        id=warehouse.id,
    )
    sql("DELETE FROM places WHERE code LIKE '35.07.09.%' AND code NOT LIKE '35.07.09.99%'")
    sql("UPDATE places SET name = 'Kab. Malang (lama)' WHERE code = '35.07'")

    result = runner.invoke(args=["places", "load"])
    assert result.exit_code == 0, result.output
    assert "Loading idn-area-data 4.0.1" in result.output
    assert (
        f"{LISTED:,} places listed: 17 added, 1 renamed, {LISTED - 18:,} unchanged;"
        " 1 no longer listed removed, 3 kept." in result.output
    )
    assert result.output.splitlines()[-3:] == [
        "  35.07.09.9997  Desa Dipakai (village)",
        "  35.07.99  Kecamatan Lama (district)",
        "  35.07.99.2001  Desa Lama (village)",
    ]
    assert place_name("35.07") == "Kabupaten Malang"
    assert place_name("35.07.09.1008") == "Sedayu"
    assert place_name("35.07.09.9998") is None  # nobody referred to it
    assert place_name("35.07.99.2001") == "Desa Lama"  # the warehouse does
    assert count_places() == LISTED + 3

    again = runner.invoke(args=["places", "load"])
    assert again.exit_code == 0, again.output
    assert (
        f"{LISTED:,} places listed: 0 added, 0 renamed, {LISTED:,} unchanged;"
        " 0 no longer listed removed, 3 kept." in again.output
    )
    assert count_places() == LISTED + 3


def _legacy(household, **columns) -> None:
    """Store what a household registered before kitlog knew the official places holds."""
    assignments = ", ".join(f"{name} = :{name}" for name in columns)
    sql(f"UPDATE households SET {assignments} WHERE id = :id", id=household.id, **columns)  # noqa: S608


NO_CODES = {"province_code": None, "regency_code": None, "district_code": None}


@pytest.fixture
def to_correct(make):
    """One household of each kind of problem, a warehouse and two rounds."""
    make.household(village="Sedayu")  # nothing to correct
    ambiguous = make.household(village="Talok")
    _legacy(ambiguous, regency="Malang", village_code=None, **NO_CODES)
    misspelt = make.household(village="Kemulan")
    _legacy(misspelt, village="Kemulann", village_code=None)
    renamed = make.household(village="Sedayu")
    _legacy(renamed, village="Sedayu Lama")
    warehouse = make.warehouse("JKT-02", regency_code="31.74")
    sql(
        "UPDATE warehouses SET district = 'Tebt', district_code = NULL WHERE id = :id",
        id=warehouse.id,
    )
    batch = make.batch(received=5)
    draft = dist.create_round(
        db.session, name="Draft", batches=[batch], warehouse=batch.warehouse, entitlement=1,
        regency_code="35.07", user=None,
    )  # fmt: skip
    opened = dist.create_round(
        db.session, name="Open", batches=[batch], warehouse=batch.warehouse, entitlement=1,
        regency_code="35.07", user=None,
    )  # fmt: skip
    dist.open_round(db.session, opened, user=None)
    db.session.commit()
    for round_ in (draft, opened):  # both from before codes, 'Malang' matched no one place
        sql(
            "UPDATE rounds SET regency = 'Malang', regency_code = NULL WHERE id = :id",
            id=round_.id,
        )
    return {"ambiguous": ambiguous, "misspelt": misspelt, "renamed": renamed, "draft": draft}


def test_check_lists_each_record_to_correct_with_the_level_and_suggestions(runner, to_correct):
    result = runner.invoke(args=["places", "check"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    t = to_correct
    assert lines == [
        f"household {t['ambiguous'].code}: regency: 'Malang' may be any of several places in"
        " Jawa Timur (35); suggested: Kabupaten Malang (35.07), Kota Malang (35.73)",
        f"household {t['misspelt'].code}: village: 'Kemulann' is not a village of Turen"
        " (35.07.09); suggested: Kemulan (35.07.09.2002)",
        f"household {t['renamed'].code}: village: 'Sedayu Lama' does not match its code"
        " 35.07.09.1008; suggested: Sedayu (35.07.09.1008)",
        "warehouse JKT-02: district: 'Tebt' is not a district of Kota Administrasi Jakarta"
        " Selatan (31.74); suggested: Tebet (31.74.01)",
        f"round {t['draft'].id}: regency: 'Malang' may be any of several places in Jawa Timur"
        " (35); suggested: Kabupaten Malang (35.07), Kota Malang (35.73)",
        "5 to correct: 3 household(s), 1 warehouse(s), 1 draft round(s).",
    ]


def test_check_writes_a_csv_to_correct_from(runner, to_correct):
    result = runner.invoke(args=["places", "check", "--csv", "-"])
    assert result.exit_code == 1
    assert "5 to correct" in result.stderr and "5 to correct" not in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["record"], r["level"], r["problem"]) for r in rows] == [
        ("household", "regency", "ambiguous"),
        ("household", "village", "unknown"),
        ("household", "village", "renamed"),
        ("warehouse", "district", "unknown"),
        ("round", "regency", "ambiguous"),
    ]
    first = rows[0]
    assert first["ref"] == to_correct["ambiguous"].code
    assert (first["province"], first["regency"], first["district"], first["village"]) == (
        "Jawa Timur",
        "Malang",
        "Turen",
        "Talok",
    )
    assert (first["name"], first["code"]) == ("Malang", "")
    assert (first["suggestion_1"], first["suggestion_2"], first["suggestion_3"]) == (
        "Kabupaten Malang (35.07)",
        "Kota Malang (35.73)",
        "",
    )
    renamed = rows[2]
    assert (renamed["name"], renamed["code"]) == ("Sedayu Lama", "35.07.09.1008")


def test_check_passes_once_everything_is_corrected(runner, make, to_correct, tmp_path):
    t = to_correct
    _legacy(
        t["ambiguous"], regency="Kabupaten Malang", province_code="35", regency_code="35.07",
        district_code="35.07.09", village_code="35.07.09.2007",
    )  # fmt: skip
    _legacy(t["misspelt"], village="Kemulan", village_code="35.07.09.2002")
    _legacy(t["renamed"], village="Sedayu")
    sql("UPDATE warehouses SET district = 'Tebet', district_code = '31.74.01'")
    sql("UPDATE rounds SET regency = 'Kabupaten Malang', regency_code = '35.07'")
    path = tmp_path / "fix.csv"
    result = runner.invoke(args=["places", "check", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    assert "Every household, warehouse and draft round has its places' codes" in result.output
    assert path.read_text(encoding="utf-8").splitlines() == [",".join(CSV_HEADER)]


def test_a_code_no_longer_listed_is_named_for_correction(runner, make, places_restored):
    household = make.household(village="Sedayu")
    sql(
        "INSERT INTO places (code, level, parent_code, name)"
        " VALUES ('35.07.09.9999', 'village', '35.07.09', 'Sedayu Lor')"
    )
    _legacy(household, village="Sedayu Lor", village_code="35.07.09.9999")
    result = runner.invoke(args=["places", "check"])
    assert result.exit_code == 1
    assert (
        f"household {household.code}: village: its code 35.07.09.9999 (Sedayu Lor) is no"
        " longer in the official list; suggested: Sedayu (35.07.09.1008)"
    ) in result.output


def test_a_place_with_no_code_whose_name_now_matches_is_listed_with_that_place(runner, make):
    """A record stored before the list had its place (or when its name matched none):
    correcting it is saving it again."""
    household = make.household(village="Sedayu")
    _legacy(household, village_code=None, **NO_CODES)
    empty = make.household(village="Talok")
    _legacy(empty, village="", village_code=None)
    result = runner.invoke(args=["places", "check"])
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        f"household {household.code}: province: 'Jawa Timur' has no code yet;"
        " suggested: Jawa Timur (35)",
        f"household {empty.code}: village: no village is given",
    ]
