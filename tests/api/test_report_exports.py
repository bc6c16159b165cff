"""GET /api/v1/reports/donors/{code}.csv|.xlsx|.pdf: the same report as the JSON, as files;
a suffix is never read as part of the code."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.documents.pdf import page_texts
from tests.worlds import ReportWorld

KINDS = ("csv", "xlsx", "pdf")
BASE = "/api/v1/reports/donors"


@pytest.fixture
def world(make):
    world = ReportWorld(make)
    world.play()
    return world


def csv_records(data: bytes) -> list[dict]:
    _header, tags, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    return [dict(zip(tags, row, strict=True)) for row in rows]


def test_the_files_agree_with_the_json(api, world):
    client = api("admin")
    report = client.get(f"{BASE}/KOICA").get_json()  # the JSON route is not shadowed
    assert report["donor"] == "KOICA"

    regions = csv_records(client.get(f"{BASE}/KOICA.csv").data)
    assert [(r["#adm2+name"], int(r["#x_kits+delivered"]), int(r["#reached+hh"])) for r in
            regions] == [(g["regency"], g["delivered"], g["households_reached"])
                         for g in report["by_region"]]  # fmt: skip

    batches = csv_records(client.get(f"{BASE}/KOICA.csv?table=batches").data)
    assert [
        {k: int(r[f"#x_kits+{k}"]) for k in ("received", "lost", "adjusted", "delivered")}
        for r in batches
    ] == [
        {k: b[k] for k in ("received", "lost", "adjusted", "delivered")} for b in report["batches"]
    ]

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"{BASE}/KOICA.xlsx").data))
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    on_hand = rows[1].index("#x_kits+onhand")
    assert [row[on_hand] for row in rows[2:]] == [b["on_hand"] for b in report["batches"]]

    pdf = client.get(f"{BASE}/KOICA.pdf")
    assert pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(page_texts(pdf.data)).split())
    assert "Every batch reconciles to the last kit." in text  # the client asked in English


@pytest.mark.parametrize("kind", KINDS)
def test_the_suffix_is_never_part_of_the_code(api, world, kind):
    response = api("admin").get(f"{BASE}/KOICA.{kind}")
    assert response.status_code == 200
    assert response.mimetype != "application/json"
    assert response.headers["Content-Disposition"].endswith(f'.{kind}"')


def test_a_dot_in_a_code_or_an_unknown_suffix_is_not_found(api, world):
    client = api("admin")
    for path in ("KOICA.json", "KOICA.csv.pdf", "KOICA.CSV", "KOICA.csvx", "KOICA..csv"):
        response = client.get(f"{BASE}/{path}")
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("kind", KINDS)
def test_a_donor_reads_only_their_own(api, world, kind):
    client = api("donor", donor=world.koica)
    assert client.get(f"{BASE}/KOICA.{kind}").status_code == 200
    refused = client.get(f"{BASE}/DFAT.{kind}")
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_donor_unauthenticated_and_other_roles(api, world, kind):
    assert api("admin").get(f"{BASE}/NOBODY.{kind}").status_code == 404
    assert api(None).get(f"{BASE}/KOICA.{kind}").status_code == 401
    assert api("warehouse").get(f"{BASE}/KOICA.{kind}").status_code == 403
    assert api("field").get(f"{BASE}/KOICA.{kind}").status_code == 403


def test_an_unknown_table_is_a_422_naming_the_field(api, world):
    response = api("admin").get(f"{BASE}/KOICA.csv?table=households")
    assert response.status_code == 422
    assert "table" in response.get_data(as_text=True)


def test_the_files_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for kind, mimetype in (
        ("csv", "text/csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
    ):
        operation = spec["paths"][f"/api/v1/reports/donors/{{code}}.{kind}"]["get"]
        assert mimetype in operation["responses"]["200"]["content"]
        assert {"401", "403", "404"} <= set(operation["responses"])
    csv_parameters = spec["paths"]["/api/v1/reports/donors/{code}.csv"]["get"]["parameters"]
    table = next(p for p in csv_parameters if p["name"] == "table")
    assert table["schema"]["enum"] == ["by_region", "batches", "timeline", "feedback", "pdm"]
