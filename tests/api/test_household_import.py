"""POST /api/v1/households/import (docs/api.md, Households): 201 {imported}, or 422 with
every bad row and nothing imported; a file that cannot be read is a clear problem."""

from __future__ import annotations

import sqlite3

import pytest

from kitlog.extensions import db
from kitlog.services.households import FIELDS
from tests.api.helpers import IMPORT_PATH, assert_problem, household_count, send_import
from tests.worlds import csv_file, nik_number, row_values, xlsx_file


@pytest.mark.parametrize("role", ["field", "admin"])
def test_a_good_file_is_imported_whole(api, role):
    client = api(role)
    response = send_import(client, csv_file([row_values(i) for i in range(7)]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json() == {"imported": 7}
    assert household_count() == 7


def test_an_xlsx_file_is_imported(api):
    response = send_import(api("field"), xlsx_file([row_values(i) for i in range(3)]), "h.xlsx")
    assert response.status_code == 201
    assert response.get_json()["imported"] == 3


def test_one_bad_row_is_422_listing_every_bad_row_and_nothing_is_imported(api, make):
    registered = make.household(nik=nik_number(8))
    rows = [row_values(i) for i in range(10)]
    rows[3]["members"] = "many"
    rows[5].update(consent="maybe", phone="12")
    response = send_import(api("field"), csv_file(rows))
    body = assert_problem(response, 422)
    assert body["errors"] == [
        {"row": 5, "field": "members", "message": "Enter the number of people in the household."},
        {"row": 7, "field": "phone", "message": body["errors"][1]["message"]},
        {"row": 7, "field": "consent", "message": "Answer yes or no."},
        {"row": 10, "field": "nik", "message": f"Already registered as {registered.code}."},
    ]
    assert "nothing was imported" in body["detail"]
    assert household_count() == 1


def test_a_nik_twice_in_the_file_is_422_on_both_rows(api):
    rows = [row_values(i) for i in range(4)]
    rows[3]["nik"] = rows[0]["nik"]
    body = assert_problem(send_import(api("field"), csv_file(rows)), 422, field="nik")
    assert [(e["row"], e["message"]) for e in body["errors"]] == [
        (2, "The same NIK as row 5."),
        (5, "The same NIK as row 2."),
    ]
    assert household_count() == 0


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (b"", "h.csv", "empty"),
        (b"\x00\x01\x02garbage", "h.bin", "CSV (UTF-8) or XLSX"),
        (xlsx_file([row_values(0)]), "h.csv", ".xlsx"),
        (b"PK\x03\x04broken", "h.xlsx", "damaged"),
        (csv_file([row_values(0)], encoding="utf-16"), "h.csv", "UTF-16"),
        (csv_file([row_values(0, head_name="Dédé")], encoding="cp1252"), "h.csv", "UTF-8"),
        (csv_file([row_values(0)], header=FIELDS[:5]), "h.csv", "consent, province, regency"),
        (csv_file([]), "h.csv", "no households"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_clear_problem_and_changes_nothing(
    api, content, filename, says
):
    body = assert_problem(send_import(api("field"), content, filename), 422, field="file")
    assert says in body["detail"]
    assert household_count() == 0


def test_no_file_part_is_422_naming_it(api):
    client = api("field")
    response = client.client.post(
        IMPORT_PATH, data={"other": "x"}, content_type="multipart/form-data", headers=client.headers
    )
    body = assert_problem(response, 422)
    assert any("file" in e["field"] for e in body["errors"])


def test_a_file_over_20_mb_is_413(api):
    response = send_import(api("field"), b"x" * (20 * 1024 * 1024 + 1))
    body = assert_problem(response, 413)
    assert "20 MB" in body["detail"]
    assert household_count() == 0


def test_a_dry_run_checks_and_imports_nothing(api):
    client = api("field")
    rows = [row_values(i) for i in range(4)]
    response = send_import(client, csv_file(rows), query="?dry_run=true")
    assert response.status_code == 200
    assert response.get_json() == {"good_rows": 4, "errors": []}
    rows[2]["village"] = ""
    response = send_import(client, csv_file(rows), query="?dry_run=true")
    assert response.status_code == 200
    body = response.get_json()
    assert body["good_rows"] == 3
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, "village")]
    assert household_count() == 0


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("warehouse", 403), ("donor", 403)])
def test_only_field_officers_and_admins_may_import(api, role, status):
    assert_problem(send_import(api(role), csv_file([row_values(0)])), status)
    assert household_count() == 0


def test_the_import_is_documented_as_a_multipart_upload(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"][IMPORT_PATH]["post"]
    content = operation["requestBody"]["content"]
    assert "multipart/form-data" in content
    schema = content["multipart/form-data"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["file"] == {**schema["properties"]["file"], "format": "binary"}
    assert {"201", "200", "400", "401", "403", "413", "422"} <= set(operation["responses"])
    assert any(p["name"] == "dry_run" for p in operation["parameters"])


def test_while_the_file_is_checked_other_writers_are_not_locked_out(
    api, make, monkeypatch, db_backend
):
    """On SQLite one writer holds the database at a time: a big file being read and
    checked must not hold that lock (other staff would wait, then fail)."""
    if db_backend != "sqlite":
        pytest.skip("the database-wide write lock is SQLite's")
    from kitlog.services import imports as import_service

    make.donor("KOICA")
    client = api("field")
    check = import_service.check_spreadsheet
    written_meanwhile = []

    def check_while_someone_else_writes(*args, **kwargs):
        checked = check(*args, **kwargs)
        other = sqlite3.connect(db.engine.url.database, timeout=0)  # fail at once if locked
        try:
            other.execute("UPDATE donors SET name = 'Written meanwhile' WHERE code = 'KOICA'")
            other.commit()
            written_meanwhile.append(True)
        finally:
            other.close()
        return checked

    monkeypatch.setattr(import_service, "check_spreadsheet", check_while_someone_else_writes)
    response = send_import(client, csv_file([row_values(i) for i in range(3)]))
    assert response.status_code == 201, response.get_json()
    assert written_meanwhile == [True]
    assert household_count() == 3
