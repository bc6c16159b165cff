"""Importing households from a spreadsheet (rule 7 of docs/design.md): every row is checked
as a household registered by hand, every problem is listed with its spreadsheet line,
and one bad row imports nothing."""

from __future__ import annotations

import codecs
import io
import time
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import func, select

from kitlog.extensions import db
from kitlog.models import Household
from kitlog.services import imports
from kitlog.services.errors import InvalidValues
from kitlog.services.households import FIELDS
from kitlog.services.imports import ImportFileError
from tests.worlds import IMPORT_DAY as TODAY
from tests.worlds import big_xlsx, csv_file, nik_number, row_values, xlsx_file


@pytest.fixture(autouse=True)
def english(app):
    """Messages read in English (the source strings); work outside a request is Indonesian."""
    with force_locale("en"):
        yield


# -- building files ------------------------------------------------------------------------


def household_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Household))


def check(content: bytes, filename: str = "households.csv"):
    return imports.check_spreadsheet(db.session, content, filename, today=TODAY)


def problems(checked) -> set[tuple[int, str]]:
    return {(e.row, e.field) for e in checked.errors}


# -- all or nothing ------------------------------------------------------------------------


def test_a_file_with_one_bad_row_among_ten_imports_nothing(app):
    rows = [row_values(i) for i in range(10)]
    rows[6]["members"] = "0"
    with pytest.raises(InvalidValues) as refused:
        imports.import_spreadsheet(
            db.session, csv_file(rows), "households.csv", user=None, today=TODAY
        )
    assert [(e.row, e.field) for e in refused.value.errors] == [(8, "members")]
    assert household_count() == 0


def test_a_good_file_imports_every_row_like_households_registered_by_hand(app, make):
    admin = make.user("admin")
    rows = [row_values(i) for i in range(3)]
    rows[1]["consent_date"] = "2020-12-01"
    rows[2].update(consent="tidak", vulnerabilities="hamil;disabilitas")
    checked = imports.import_spreadsheet(
        db.session, csv_file(rows), "households.csv", user=admin, today=TODAY
    )
    db.session.commit()
    assert checked.good_rows == 3
    found = db.session.scalars(select(Household).order_by(Household.id)).all()
    assert [h.code for h in found] == ["HH-000001", "HH-000002", "HH-000003"]
    first = found[0]
    assert (first.worker_relation, first.province, first.regency) == (
        "spouse",
        "Jawa Timur",
        "Kabupaten Malang",  # written "KAB.  MALANG": the official name
    )
    assert first.phone == "+62812" + "00000000"
    assert first.vulnerabilities == ["elderly", "under5"]
    assert first.consent and first.consent_date == TODAY  # no date given: the import's day
    assert found[1].consent_date == date(2020, 12, 1)
    assert not found[2].consent and found[2].consent_date is None
    assert found[2].vulnerabilities == ["disability", "pregnant"]
    assert {h.created_by_id for h in found} == {admin.id}


def test_the_checked_rows_a_job_keeps_come_back_as_they_were_checked(app):
    rows = [row_values(i) for i in range(3)]
    rows[1]["consent_date"] = "2020-12-01"
    rows[2].update(consent="tidak", head_name="Siti “Ibu” Rahayu — Désa")
    content = csv_file(rows)
    checked = check(content)
    packed = imports.pack_checked(checked)
    assert content not in packed and len(packed) < len(content) * 2
    back = imports.unpack_checked(packed)
    assert back.total_rows == checked.total_rows == 3
    assert back.rows == checked.rows  # dates as dates, None as None, text as typed
    assert back.rows[1][1]["consent_date"] == date(2020, 12, 1)
    assert back.rows[2][1]["consent_date"] is None
    # an uploaded file (or a damaged packing) is not taken for checked rows
    assert imports.unpack_checked(content) is None
    assert imports.unpack_checked(packed[:40]) is None


def test_codes_continue_after_households_registered_by_hand(app, make):
    make.household()
    imports.import_spreadsheet(
        db.session, csv_file([row_values(1)]), "households.csv", user=None, today=TODAY
    )
    db.session.commit()
    assert db.session.scalars(select(Household.code).order_by(Household.id)).all() == [
        "HH-000001",
        "HH-000002",
    ]


# -- every bad row, with its line and field -------------------------------------------------

BAD_VALUES = [
    ("head_name", ""),
    ("worker_name", "12345"),
    ("worker_relation", "cousin"),
    ("nik", "3507"),
    ("phone", "12345"),
    ("province", "Atlantis"),
    ("regency", ""),
    ("district", " "),
    ("village", ""),
    ("members", "0"),
    ("vulnerabilities", "rich"),
    ("consent", "maybe"),
    ("consent_date", "07/12/2020"),
]


def test_every_kind_of_bad_value_is_reported_on_its_row_and_field(app):
    rows = [row_values(i, **{name: value}) for i, (name, value) in enumerate(BAD_VALUES)]
    rows.insert(3, row_values(99))  # one good row in between
    checked = check(csv_file(rows))
    expected = {(i + 2 + (i >= 3), name) for i, (name, _value) in enumerate(BAD_VALUES)}
    assert problems(checked) == expected
    assert checked.good_rows == 1
    assert checked.total_rows == len(BAD_VALUES) + 1
    assert all(str(e.message) for e in checked.errors)
    assert household_count() == 0


def test_every_problem_of_one_row_is_listed(app):
    checked = check(csv_file([row_values(0, nik="1", members="x", consent="?")]))
    assert problems(checked) == {(2, "nik"), (2, "members"), (2, "consent")}


def test_a_nik_repeated_in_the_file_is_reported_on_each_of_its_rows(app):
    rows = [row_values(i) for i in range(8)]
    rows[5]["nik"] = rows[1]["nik"]  # rows 3 and 7 of the sheet
    checked = check(csv_file(rows))
    messages = {(e.row, e.field): str(e.message) for e in checked.errors}
    assert messages == {
        (3, "nik"): "The same NIK as row 7.",
        (7, "nik"): "The same NIK as row 3.",
    }
    assert checked.good_rows == 6


def test_a_nik_already_registered_names_the_household_that_has_it(app, make):
    registered = make.household(nik=nik_number(4))
    checked = check(csv_file([row_values(i) for i in range(6)]))
    assert [(e.row, e.field, str(e.message)) for e in checked.errors] == [
        (6, "nik", f"Already registered as {registered.code}.")
    ]
    with pytest.raises(InvalidValues):
        imports.import_spreadsheet(
            db.session, csv_file([row_values(4)]), "h.csv", user=None, today=TODAY
        )
    assert household_count() == 1


def test_the_registry_is_checked_again_when_the_file_is_imported(app, make):
    checked = check(csv_file([row_values(i) for i in range(3)]))
    assert not checked.errors
    make.household(nik=nik_number(2))  # registered by hand between the check and the import
    with pytest.raises(InvalidValues) as refused:
        imports.import_households(db.session, checked, user=None)
    db.session.rollback()
    assert [(e.row, e.field) for e in refused.value.errors] == [(4, "nik")]
    assert household_count() == 1


# -- reading files -------------------------------------------------------------------------


def test_xlsx_and_csv_both_import(app):
    rows = [row_values(i) for i in range(4)]
    imports.import_spreadsheet(db.session, xlsx_file(rows[:2]), "a.xlsx", user=None, today=TODAY)
    imports.import_spreadsheet(db.session, csv_file(rows[2:]), "b.csv", user=None, today=TODAY)
    db.session.commit()
    assert household_count() == 4


def test_headers_match_without_case_or_spaces_and_extra_columns_are_listed(app):
    header = [name.upper().replace("_", " ") for name in FIELDS] + ["Catatan", "RT/RW"]
    rows = [{h.upper().replace("_", " "): v for h, v in row_values(i).items()} for i in range(2)]
    checked = check(csv_file(rows, header=header))
    assert not checked.errors and checked.good_rows == 2
    assert checked.extra_columns == ["Catatan", "RT/RW"]


def test_utf8_with_bom_and_semicolons_as_excel_writes_in_indonesian(app):
    rows = [row_values(1, head_name="Ni Luh Putu Ayu Ṡ"), row_values(2)]
    content = codecs.BOM_UTF8 + csv_file(rows, delimiter=";")
    checked = check(content)
    assert not checked.errors and checked.good_rows == 2
    assert checked.rows[0][1]["head_name"] == "Ni Luh Putu Ayu Ṡ"


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_line(app):
    rows = [row_values(0), None, None, row_values(1, members="77")]
    checked = check(xlsx_file(rows), "households.xlsx")
    assert checked.total_rows == 2
    assert problems(checked) == {(5, "members")}


def test_xlsx_number_cells_a_nik_as_an_integer_is_accepted_a_float_is_refused(app):
    rows = [
        row_values(0, nik=int(nik_number(0)), phone=81234567890, members=4),
        row_values(1, nik=float(nik_number(1)[:14]) + 0.5),  # a number with decimals
        row_values(2, consent_date=datetime(2020, 12, 7), consent=True),
        row_values(3, nik=int(nik_number(3400)[:15] + "0")),  # what Excel keeps of 16 digits
    ]
    checked = check(xlsx_file(rows), "households.xlsx")
    assert problems(checked) == {(3, "nik"), (5, "nik")}
    assert "text" in str(checked.errors[0].message)
    assert "15 digits" in str(checked.errors[1].message)
    good = dict(checked.rows)
    assert good[2]["nik"] == nik_number(0) and good[2]["phone"] == "+6281234567890"
    assert good[4]["consent_date"] == date(2020, 12, 7)


def _truncated_xlsx() -> bytes:
    content = xlsx_file([row_values(0)])
    return content[: len(content) // 2]


def _zip_without_workbook() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


BROKEN = [
    ("empty", b"", "h.csv", "empty"),
    ("only spaces", b"  \r\n ", "h.csv", "empty"),
    ("a pdf", b"%PDF-1.4 not a spreadsheet", "h.pdf", "CSV"),
    ("not a zip named xlsx", b"head_name,nik\r\n", "h.xlsx", "not an Excel workbook"),
    ("a corrupt zip", _truncated_xlsx(), "h.xlsx", "damaged"),
    ("a zip that is no workbook", _zip_without_workbook(), "h.xlsx", "not an Excel workbook"),
    ("xlsx renamed csv", xlsx_file([row_values(0)]), "h.csv", "Rename it to .xlsx"),
    ("an old xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "h.xls", ".xls"),
    ("utf-16", csv_file([row_values(0)], encoding="utf-16"), "h.csv", "UTF-16"),
    (
        "windows-1252",
        csv_file([row_values(0), row_values(1, head_name="Dédé")], encoding="cp1252"),
        "h.csv",
        "line 3",
    ),
    ("header only", csv_file([]), "h.csv", "no households"),
    ("no header", b"Siti,Agus\r\n", "h.csv", "column names"),
    (
        "missing columns",
        csv_file([row_values(0)], header=[f for f in FIELDS if f not in ("nik", "members")]),
        "h.csv",
        "missing: nik, members",
    ),
    ("a column twice", csv_file([row_values(0)], header=(*FIELDS, "NIK")), "h.csv", "nik"),
]


@pytest.mark.parametrize(
    ("content", "filename", "says"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_broken_file_gets_a_clear_message_and_changes_nothing(app, content, filename, says):
    with pytest.raises(ImportFileError) as refused:
        imports.import_spreadsheet(db.session, content, filename, user=None, today=TODAY)
    assert says in str(refused.value)
    assert refused.value.field == "file"
    assert household_count() == 0


def test_more_than_100000_rows_is_refused(app):
    row = ",".join(str(row_values(1)[f]) for f in FIELDS)
    content = (",".join(FIELDS) + "\n" + (row + "\n") * (imports.MAX_ROWS + 1)).encode()
    with pytest.raises(ImportFileError) as refused:
        check(content)
    assert "more than 100,000" in str(refused.value)


def test_a_file_over_20_mb_is_refused(app):
    with pytest.raises(ImportFileError) as refused:
        check(b"x" * (imports.MAX_UPLOAD_BYTES + 1))
    assert "20 MB" in str(refused.value)


# -- the templates -------------------------------------------------------------------------


def test_the_xlsx_template_keeps_nik_and_phone_as_text_and_explains_the_values(app):
    workbook = load_workbook(io.BytesIO(imports.template_xlsx()))
    sheet, notes = workbook.worksheets
    assert [c.value for c in sheet[1]] == list(FIELDS)
    for column in ("nik", "phone"):
        letter = sheet.cell(row=1, column=FIELDS.index(column) + 1).column_letter
        assert sheet[f"{letter}2"].number_format == "@"
    text = " ".join(str(c.value) for row in notes.iter_rows() for c in row if c.value)
    for word in ("Jawa Timur", "Papua Barat Daya", "spouse", "under5", "tidak", ";"):
        assert word in text


def test_the_templates_read_back_with_every_column(app):
    for content, name in ((imports.template_xlsx(), "t.xlsx"), (imports.template_csv(), "t.csv")):
        sheet = imports.open_spreadsheet(content, name)
        assert set(sheet.columns) == set(FIELDS) and not sheet.extra_columns
    assert imports.template_csv().decode("utf-8").strip() == ",".join(FIELDS)


# -- a big file ----------------------------------------------------------------------------


def test_50000_rows_import_in_one_go(app):
    content = big_xlsx(50_000)
    started = time.perf_counter()
    progress = []
    checked = imports.check_spreadsheet(
        db.session,
        content,
        "households.xlsx",
        today=TODAY,
        progress=lambda done, total: progress.append(done),
    )
    assert not checked.errors and checked.good_rows == 50_000
    db.session.commit()
    imports.import_households(db.session, checked, user=None)
    db.session.commit()
    elapsed = time.perf_counter() - started
    assert household_count() == 50_000
    assert progress[:2] == [0, 1_000] and progress[-1] == 50_000
    last = db.session.scalar(select(Household).order_by(Household.id.desc()).limit(1))
    assert last.code == "HH-050000" and last.nik == nik_number(49_999)
    print(f"\n50,000 rows checked and imported in {elapsed:.1f} s")
