"""Hostile spreadsheets through the household import, in the service and on its pages.

A file in the wrong encoding, with NUL bytes, binary garbage, a zip that is no workbook,
a formula cell, an inline string holding a script, an over-long cell, SQL text, 10,000
columns, or a header alone: each gets a clear message in the uploader's language, imports
nothing, and never answers 5xx. A formula cell is never evaluated nor stored as a formula.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from html import escape

import pytest
from flask_babel import force_locale
from markupsafe import escape as markup_escape
from openpyxl import Workbook
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Household, HouseholdImport
from kitlog.services import imports
from kitlog.services.households import FIELDS
from kitlog.services.imports import ImportFileError
from tests.hostile import RAW_MARKUP, SCRIPT
from tests.web.conftest import csrf_token, text_of
from tests.worlds import csv_file, row_values, xlsx_file

TODAY = date(2020, 12, 10)
UPLOAD = "/households/imports/new"
SQL = "'; DROP TABLE households; --"
FORMULA = "=cmd|' /C calc'!A0"


def _zip(parts: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return buffer.getvalue()


def _inline_xlsx(cells_of_row2: dict[str, str]) -> bytes:
    """A hand-made workbook whose second row holds inline strings (t="inlineStr")."""
    columns = [chr(ord("A") + i) for i in range(len(FIELDS))]

    def cell(ref, value):
        value = escape(str(value), quote=False)
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    good = row_values(1, **cells_of_row2)
    header = "".join(cell(f"{c}1", f) for c, f in zip(columns, FIELDS, strict=True))
    row = "".join(cell(f"{c}2", good[f]) for c, f in zip(columns, FIELDS, strict=True))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{header}</row><row r="2">{row}</row></sheetData></worksheet>'
    )
    return _zip(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                '.org/package/2006/content-types"><Default Extension="rels" ContentType="applicat'
                'ion/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" Cont'
                'entType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="ap'
                'plication/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Ove'
                'rride PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlf'
                'ormats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ),
            "_rels/.rels": (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openx'
                'mlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://s'
                'chemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Tar'
                'get="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlfor'
                'mats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/off'
                'iceDocument/2006/relationships"><sheets><sheet name="Households" sheetId="1" r:i'
                'd="rId1"/></sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openx'
                'mlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://s'
                'chemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
                '"worksheets/sheet1.xml"/></Relationships>'
            ),
            "xl/worksheets/sheet1.xml": sheet,
        }
    )


def _formula_xlsx() -> bytes:
    """A workbook whose head_name and members cells are formulas (no cached value)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(FIELDS))
    good = row_values(1)
    sheet.append([good[f] for f in FIELDS])
    sheet.cell(row=2, column=FIELDS.index("head_name") + 1, value='=HYPERLINK("http://x","y")')
    sheet.cell(row=2, column=FIELDS.index("members") + 1, value="=2+2")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# (id, filename, content, the message, or the row error's field and words)
UNREADABLE = [
    ("utf-16", "h.csv", csv_file([row_values(1)], encoding="utf-16"), "UTF-16"),
    (
        "latin-1",
        "h.csv",
        csv_file([row_values(1, head_name="José Müller")], encoding="latin-1"),
        "not saved as UTF-8",
    ),
    ("nul-bytes", "h.csv", csv_file([row_values(1, head_name="Siti\x00Rahayu")]), "CSV UTF-8"),
    ("binary-garbage", "h.csv", bytes(range(256)) * 40, "CSV UTF-8"),
    ("zip-of-junk", "h.xlsx", _zip({"junk.bin": b"junk" * 100}), "not an Excel workbook"),
    ("header-only", "h.csv", csv_file([]), "no households under them"),
    ("empty", "h.csv", b"", "The file is empty."),
]
BAD_ROWS = [
    ("formula-cells", "h.xlsx", _formula_xlsx(), "head_name"),
    ("over-long-cell", "h.csv", csv_file([row_values(1, head_name="x" * 100_000)]), "head_name"),
    ("over-long-xlsx", "h.xlsx", xlsx_file([row_values(1, village="v" * 100_000)]), "village"),
]
# Text that is a name like any other: checked, shown escaped, stored as written.
ODD_TEXT = [
    ("sql", "h.csv", csv_file([row_values(1, head_name=SQL)]), SQL),
    ("script-inline-string", "h.xlsx", _inline_xlsx({"head_name": SCRIPT}), SCRIPT),
    ("formula-text", "h.csv", csv_file([row_values(1, head_name=FORMULA)]), FORMULA),
    ("utf-8-bom", "h.csv", b"\xef\xbb\xbf" + csv_file([row_values(1, head_name=SQL)]), SQL),
]


@pytest.fixture
def english(app):
    with force_locale("en"):
        yield


def _households() -> int:
    return db.session.scalar(select(func.count()).select_from(Household))


# -- the service -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "name", "content", "words"), UNREADABLE, ids=[c[0] for c in UNREADABLE]
)
def test_an_unreadable_file_is_refused_with_a_message_that_says_what_to_do(
    english, case, name, content, words
):
    with pytest.raises(ImportFileError) as refused:
        imports.check_spreadsheet(db.session, content, name, today=TODAY)
    assert words in str(refused.value)
    assert _households() == 0


@pytest.mark.parametrize(
    ("case", "name", "content", "field"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS]
)
def test_a_formula_or_over_long_cell_is_a_row_error_and_never_a_value(
    english, case, name, content, field
):
    checked = imports.check_spreadsheet(db.session, content, name, today=TODAY)
    assert checked.rows == []
    assert field in {e.field for e in checked.errors}
    assert all(e.row == 2 for e in checked.errors)
    if case == "formula-cells":  # neither evaluated (4, "y") nor kept as the formula text
        assert {e.field for e in checked.errors} == {"head_name", "members"}
    assert _households() == 0


def test_ten_thousand_columns_are_read_and_listed_as_ignored(english):
    header = [*FIELDS, *(f"c{i}" for i in range(10_000))]
    checked = imports.check_spreadsheet(
        db.session, csv_file([row_values(1)], header=header), "h.csv", today=TODAY
    )
    assert len(checked.rows) == 1 and checked.errors == []
    assert len(checked.extra_columns) == 10_000


@pytest.mark.parametrize(
    ("case", "name", "content", "value"), ODD_TEXT, ids=[c[0] for c in ODD_TEXT]
)
def test_sql_script_or_formula_text_is_a_name_stored_as_written(
    english, case, name, content, value
):
    checked = imports.check_spreadsheet(db.session, content, name, today=TODAY)
    assert checked.errors == []
    assert _households() == 0  # a check imports nothing
    imports.import_households(db.session, checked, user=None)
    db.session.commit()
    assert db.session.scalars(select(Household.head_name)).all() == [value]


# -- the pages -------------------------------------------------------------------------------


@pytest.fixture
def uploader(app, client, auth):
    """An admin reading English, whose imports are checked inside the request."""
    app.config["IMPORTS_IN_BACKGROUND"] = False
    auth.login("admin", language="en")
    return client


def _upload(client, content: bytes, filename: str):
    token = csrf_token(client.get(UPLOAD).get_data(as_text=True))
    return client.post(
        UPLOAD,
        data={"csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def _jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(HouseholdImport))


def test_each_unreadable_file_gets_its_message_on_the_upload_page_and_no_job(uploader):
    faults = {}
    for case, name, content, words in UNREADABLE:
        response = _upload(uploader, content, name)
        if case == "header-only":  # its header is good: its rows are found missing next
            response = uploader.get(response.headers["Location"])
        elif response.status_code != 422:
            faults[case] = response.status_code
        if words not in text_of(response):
            faults[case] = text_of(response)[:300]
    assert faults == {}
    db.session.expire_all()
    assert [job.status for job in db.session.scalars(select(HouseholdImport))] == ["failed"]
    assert _households() == 0


def test_the_message_comes_in_the_uploaders_language(app, client, auth):
    auth.login("field", language="id")
    content = csv_file([row_values(1)], encoding="utf-16")
    with force_locale("id"):
        with pytest.raises(ImportFileError) as refused:
            imports.check_spreadsheet(db.session, content, "h.csv", today=TODAY)
        indonesian = str(refused.value)
    with force_locale("en"):
        with pytest.raises(ImportFileError) as refused:
            imports.check_spreadsheet(db.session, content, "h.csv", today=TODAY)
        assert str(refused.value) != indonesian  # the catalog translates it
    response = _upload(client, content, "h.csv")
    assert response.status_code == 422
    assert indonesian in text_of(response)


def _job_page(client, response):
    assert response.status_code == 302, text_of(response)[:1000]
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    return page


@pytest.mark.parametrize("case", [c[0] for c in BAD_ROWS])
def test_a_file_with_a_bad_row_shows_the_row_and_cannot_be_imported(uploader, case):
    _case, name, content, field = next(c for c in BAD_ROWS if c[0] == case)
    page = _job_page(uploader, _upload(uploader, content, name))
    db.session.expire_all()
    job = db.session.scalars(select(HouseholdImport)).one()
    assert job.status == "invalid"
    token = csrf_token(page.get_data(as_text=True))
    confirmed = uploader.post(f"/households/imports/{job.id}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 302
    assert uploader.get(confirmed.headers["Location"]).status_code == 200
    assert _households() == 0


def test_ten_thousand_columns_on_the_upload_page_never_break_it(uploader):
    header = [*FIELDS, *(f"c{i}" for i in range(10_000))]
    page = _job_page(uploader, _upload(uploader, csv_file([row_values(1)], header=header), "h.csv"))
    assert "were ignored" in text_of(page)
    assert _households() == 0


@pytest.mark.parametrize("case", [c[0] for c in ODD_TEXT])
def test_odd_text_in_an_upload_is_shown_escaped_and_stored_as_written(uploader, case):
    _case, name, content, value = next(c for c in ODD_TEXT if c[0] == case)
    page = _job_page(uploader, _upload(uploader, content, name))
    assert not RAW_MARKUP.search(page.get_data(as_text=True))
    assert _households() == 0  # nothing until confirmed
    job = db.session.scalars(select(HouseholdImport)).one()
    token = csrf_token(page.get_data(as_text=True))
    confirmed = uploader.post(f"/households/imports/{job.id}/confirm", data={"csrf_token": token})
    assert confirmed.status_code == 302
    assert uploader.get(confirmed.headers["Location"]).status_code == 200
    household = db.session.scalars(select(Household)).one()
    assert household.head_name == value
    shown = uploader.get(f"/households/{household.code}").get_data(as_text=True)
    assert not RAW_MARKUP.search(shown)
    assert str(markup_escape(value)) in shown
    exported = uploader.get("/households/export.csv").get_data(as_text=True)
    if value.startswith("="):
        assert f"'{value}" in exported
