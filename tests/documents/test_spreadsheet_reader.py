"""The XLSX reader: values as a spreadsheet shows them, and crafted files refused fast.

Each crafted file (unclosed markup, zip bombs, lying sizes, entities, cells far apart) is
answered within 2 s, with a reason the service turns into the uploader's words.
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from kitlog.documents.spreadsheet_reader import Limits, SpreadsheetError, read_xlsx
from tests.documents.workbooks import MAIN, book, lying_sizes


def rows(content: bytes, limits: Limits | None = None) -> list:
    return list(read_xlsx(content, limits or Limits()))


def refused(content: bytes, limits: Limits | None = None) -> str:
    """Why the reader refuses the file, which it must see within 2 s of the processor's
    time (work, which a busy machine does not inflate as it does the wall clock)."""
    started = time.process_time()
    with pytest.raises(SpreadsheetError) as error:
        rows(content, limits)
    assert time.process_time() - started < 2
    return error.value.reason


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- values ----------------------------------------------------------------------------------


def test_values_come_back_as_the_spreadsheet_shows_them():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "nik", "when", "yes", "half"])
    sheet.append(["Siti 😀", 3507124501850001, datetime(2020, 12, 7), True, 1.5])
    sheet.append(["=1+1", 9171010101700001, None, False, 4])
    sheet["A3"] = "=1+1"  # a formula with no cached value: nothing, never the formula
    found = rows(saved(workbook))
    assert found[0] == (1, ["name", "nik", "when", "yes", "half"])
    assert found[1] == (2, ["Siti 😀", 3507124501850001, date(2020, 12, 7), True, 1.5])
    line, cells = found[2]
    assert line == 3 and cells[0] is None and cells[2] is None and cells[4] == 4
    # Beyond 2**53 a number has lost digits: it stays a float, never an int with a wrong digit.
    assert isinstance(cells[1], float)


def test_a_1904_workbook_gives_the_same_dates():
    workbook = Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    workbook.active.append([datetime(2020, 12, 7)])
    assert rows(saved(workbook)) == [(1, [date(2020, 12, 7)])]


# The workbook's relationships when it has a shared strings part.
WITH_SHARED_STRINGS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"'
    ' Target="sharedStrings.xml"/></Relationships>'
)


def test_shared_and_inline_strings_and_lines_and_columns_keep_their_place():
    strings = (
        f'<sst xmlns="{MAIN}"><si><t>shared</t></si>'
        '<si><r><t xml:space="preserve">rich </t></r><r><t>text</t></r></si></sst>'
    )
    rels = WITH_SHARED_STRINGS
    content = book(
        '<row r="3"><c r="C3" t="s"><v>0</v></c><c r="D3" t="inlineStr"><is><t>in&amp;line'
        '</t></is></c></row><row r="5"><c r="B5" t="s"><v>1</v></c></row>',
        parts={"xl/sharedStrings.xml": strings, "xl/_rels/workbook.xml.rels": rels},
    )
    found = [(line, cells) for line, cells in rows(content) if any(cells)]
    assert found == [(3, [None, None, "shared", "in&line"]), (5, [None, "rich text", None, None])]


def test_an_over_long_cell_is_cut_to_one_character_more_than_the_limit():
    content = book(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"x" * 500}</t></is></c></row>')
    assert rows(content, Limits(cell_chars=100)) == [(1, ["x" * 101])]


# -- crafted files ---------------------------------------------------------------------------


def read_fast(content: bytes) -> list:
    """Whatever a crafted sheet holds, reading it ends within 2 s of the processor's time."""
    started = time.process_time()
    try:
        found = rows(content)
    except SpreadsheetError:
        found = []
    assert time.process_time() - started < 2
    return found


def test_thousands_of_unclosed_rows_or_cells_are_read_in_linear_time():
    assert [cells for _line, cells in read_fast(book("<row>" * 20_000)) if any(cells)] == []
    assert len(read_fast(book('<row r="1"><c r="A1"><v>1</v>' * 20_000))) <= 1


def test_unclosed_and_huge_shared_strings_are_refused():
    rels = WITH_SHARED_STRINGS
    cell = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    unclosed = book(
        cell,
        parts={
            "xl/_rels/workbook.xml.rels": rels,
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">' + "<si><t>x" * 20_000,
        },
    )
    assert refused(unclosed) == "damaged"
    many = book(
        cell,
        parts={
            "xl/_rels/workbook.xml.rels": rels,
            "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">' + "<si/>" * 200_000 + "</sst>",
        },
    )
    assert refused(many, Limits(cells=10_000)) == "too_many_cells"


def test_deep_nesting_is_read_in_linear_time():
    nested = '<row r="1"><c r="A1" t="inlineStr"><is>' + "<r>" * 50_000 + "</is></c></row>"
    assert len(read_fast(book(nested))) <= 1


@pytest.mark.parametrize(
    "cells",
    [
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c><c r="ZZ200000"><v>1</v></c></row>',
        '<row r="1"><c r="A1" r="ZZ200000"><v>1</v></c></row>',  # calamine takes the last r
        '<row r="1"><x:c xmlns:x="' + MAIN + '" r="ZZ200000"><x:v>1</x:v></x:c></row>',
        '<row r="99999"><c><v>1</v></c><c r="zz1"><v>1</v></c></row>',
    ],
    ids=["a1-and-xfd1048576", "far-cell", "second-r", "prefixed", "lower-case"],
)
def test_cells_far_apart_are_refused_before_the_reader_fills_the_rectangle(cells):
    assert refused(book(cells)) in ("too_many_cells", "too_many_columns")


def test_a_zip_bomb_is_refused_without_unpacking_it():
    sheet = '<row r="1"><c r="A1"><v>1</v></c></row>' + "<!--" + " " * (300 * 2**20) + "-->"
    content = book(sheet)
    assert len(content) < 2 * 2**20
    assert refused(content) == "too_large_unpacked"


def test_a_zip_whose_declared_sizes_lie_is_refused():
    sheet = '<row r="1"><c r="A1"><v>1</v></c></row>' + "<!--" + " " * (200 * 2**20) + "-->"
    assert refused(lying_sizes(book(sheet))) == "damaged"


@pytest.mark.parametrize(
    "prolog",
    [
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        '&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_entities_are_never_expanded(prolog):
    entity = "c" if "ENTITY c" in prolog else "e"
    content = book(
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>&{entity};</t></is></c></row>', prolog=prolog
    )
    assert refused(content) == "damaged"


def test_reading_stops_at_the_deadline():
    ticks = iter(range(0, 10_000, 10))
    with pytest.raises(SpreadsheetError) as error:
        list(
            read_xlsx(
                book('<row r="1"><c r="A1"><v>1</v></c></row>'),
                Limits(seconds=5),
                clock=lambda: next(ticks),
            )
        )
    assert error.value.reason == "too_slow"


def test_a_zip_that_is_no_workbook_or_no_zip_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("junk.bin", b"junk")
    assert refused(buffer.getvalue()) == "not_workbook"
    assert refused(b"PK\x03\x04 not really a zip") == "damaged"
