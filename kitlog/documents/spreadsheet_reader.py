"""Reading an XLSX upload: bytes in, rows out, within limits that no file can move.

An XLSX is a zip of XML parts, and a crafted one can ask a reader for anything: a part
that unpacks to gigabytes, a size in the zip's directory that lies, a sheet whose cells
reach column XFD and row 1,048,576 (a reader that fills the rectangle between them
allocates gigabytes), entities that expand, markup that never closes. So the file is
never handed as it came to the parser. Its parts are unpacked here by Python's zipfile,
which stops at the size the zip declares and checks every part's CRC, counting the real
bytes against `Limits.unpacked_bytes`; the sheet's cell references are scanned, in one
pass that never looks back, for the rectangle its cells span; only then is a new zip
holding the verified parts alone (sheet, shared strings, styles and a workbook written
here) read by calamine (python-calamine), a Rust reader that parses without holding the
GIL and resolves no entities. Its rows are yielded one at a time, against a deadline.

No Flask and no database: a refusal is a `SpreadsheetError` whose `reason` and
`params` the caller turns into a message in the uploader's language.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, cast
from xml.etree.ElementTree import Element, ParseError, iterparse

import python_calamine


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost; each is far above what a real import needs."""

    # All the parts read, unpacked: a 100,000-row sheet is about 30 to 70 MB.
    unpacked_bytes: int = 128 * 1024 * 1024
    # The workbook, its relations and its styles: a few kB in a real file.
    small_part_bytes: int = 8 * 1024 * 1024
    # Excel's own limit (column XFD).
    columns: int = 16_384
    # The rectangle from A1 to the sheet's last row and column: 100,000 rows of 30 columns.
    # The reader fills it (32 bytes a cell), so a few cells far apart cannot cost gigabytes.
    cells: int = 3_000_000
    # Excel's own limit for one cell; a longer cell is cut to one character more, so that
    # it stays too long for any household field and is reported on its row.
    cell_chars: int = 32_767
    # Reading the whole file, from the zip to the last row.
    seconds: float = 30.0


LIMITS = Limits()


class SpreadsheetError(Exception):
    """The file cannot be read, or reading it would cost more than the limits allow.

    reason: damaged, not_workbook, no_sheet, too_large_unpacked, too_many_columns,
    too_many_cells, too_slow.
    """

    def __init__(self, reason: str, **params: float):
        super().__init__(reason, params)
        self.reason = reason
        self.params = params


_EXACT = 2**53  # a float holds every whole number below this
# A cell's value as calamine reads it; None for a blank cell.
Cell = int | float | str | bool | dt.time | dt.date | dt.datetime | dt.timedelta | None
Rows = Iterator[tuple[int, list[Cell]]]  # (spreadsheet line, cell values)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
# A workbook's relationship ids: transitional (as Excel saves) or strict OOXML.
_REL_NS = (_OFFICE_REL, "http://purl.oclc.org/ooxml/officeDocument/relationships")
_PKG_REL = f"{{{_PACKAGE_REL}}}Relationship"
# What reading a damaged zip or part raises, deep in zipfile, zlib, expat or calamine.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    ValueError,
    IndexError,
    OverflowError,
    ParseError,
    NotImplementedError,  # zipfile: a compression method it does not know
    RuntimeError,  # zipfile: an encrypted part
    python_calamine.CalamineError,
)


def read_xlsx(
    content: bytes, limits: Limits = LIMITS, *, clock: Callable[[], float] = time.monotonic
) -> Rows:
    """The first sheet's rows; SpreadsheetError at once when the file cannot be read or
    is larger than the limits (the checks run before this returns), or while reading when
    the deadline passes."""
    deadline = clock() + limits.seconds

    def in_time() -> None:
        if clock() > deadline:
            raise SpreadsheetError("too_slow", seconds=limits.seconds)

    try:
        # A file only this process may read, removed once read: calamine reads a path
        # part by part, where from memory it would first copy the whole zip.
        with tempfile.NamedTemporaryFile(prefix="kitlog-import-", suffix=".xlsx") as book:
            _verified_book(content, limits, in_time, book)
            book.flush()
            in_time()
            workbook = python_calamine.load_workbook(book.name)
            sheet = workbook.get_sheet_by_index(0)
            workbook.close()
    except SpreadsheetError:
        raise
    except _DAMAGED as error:
        raise SpreadsheetError("damaged") from error
    in_time()
    return _rows(sheet, limits, in_time)


def check_container(content: bytes) -> None:
    """What can be told of a workbook without unpacking it, in milliseconds: a zip that
    holds a workbook; SpreadsheetError otherwise."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except _DAMAGED as error:
        raise SpreadsheetError("damaged") from error
    if not any(info.filename == "xl/workbook.xml" for info in infos):
        raise SpreadsheetError("not_workbook")


def _rows(
    sheet: python_calamine.CalamineSheet, limits: Limits, in_time: Callable[[], None]
) -> Rows:
    # calamine yields every row from the first (line 1), and every cell from the
    # sheet's first used column.
    start = sheet.start
    lead: list[Cell] = [None] * (start[1] if start else 0)
    longest = limits.cell_chars
    for index, values in enumerate(sheet.iter_rows()):
        if index % 1000 == 0:
            in_time()
        # calamine's list, or a new one, is this row's alone: it may take a None.
        cells = [*lead, *values] if lead else cast(list[Cell], values)
        for i, value in enumerate(cells):
            if value.__class__ is str:
                if not value:
                    cells[i] = None
                elif len(value) > longest:
                    cells[i] = value[: longest + 1]
            elif value.__class__ is float and value.is_integer() and -_EXACT < value < _EXACT:
                # calamine reads every number as a float: a whole one is an int, as the
                # cell's text was. Beyond 2**53 a float has lost digits: it stays a float
                # (a NIK stored so is refused as a number, never taken with a wrong digit).
                cells[i] = int(value)
        yield index + 1, cells


# -- the zip ---------------------------------------------------------------------------------


def _verified_book(
    content: bytes, limits: Limits, in_time: Callable[[], None], out: IO[bytes]
) -> None:
    """A new workbook holding only the first sheet, its shared strings and its styles,
    each unpacked and CRC-checked by zipfile, within the limits."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    infos = {info.filename: info for info in archive.infolist()}
    if "xl/workbook.xml" not in infos:
        raise SpreadsheetError("not_workbook")
    budget = _Budget(limits)

    def small(name: str) -> bytearray:
        return _unpack(archive, infos[name], budget, limits.small_part_bytes)

    workbook_xml = small("xl/workbook.xml")
    rels = "xl/_rels/workbook.xml.rels"
    targets: dict[str, str] = {}
    types: dict[str, str] = {}
    if rels in infos:
        for _event, el in _xml(small(rels)):
            if el.tag == _PKG_REL:
                target = el.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                targets[el.get("Id", "")] = target
                types[el.get("Type", "").rpartition("/")[2]] = target
    first = None
    date1904 = False
    for _event, el in _xml(workbook_xml):
        tag = el.tag.rpartition("}")[2]
        if tag == "sheet" and first is None:
            rid = next((el.get(f"{{{ns}}}id", "") for ns in _REL_NS if el.get(f"{{{ns}}}id")), "")
            first = targets.get(rid)
        elif tag == "workbookPr":
            date1904 = el.get("date1904", "0").strip().lower() in ("1", "true")
    if first is None or first not in infos:
        first = "xl/worksheets/sheet1.xml"
    if first not in infos:
        raise SpreadsheetError("no_sheet")
    in_time()
    parts: dict[str, bytearray] = {}
    styles = types.get("styles", "xl/styles.xml")
    if styles in infos:
        parts["xl/styles.xml"] = small(styles)
    strings = types.get("sharedStrings", "xl/sharedStrings.xml")
    shared = None
    if strings in infos:
        shared = _unpack(archive, infos[strings], budget, limits.unpacked_bytes)
        # calamine keeps every shared string: as many as the cells they could fill.
        if shared.count(b"<") > 2 * limits.cells:
            raise SpreadsheetError("too_many_cells", cells=limits.cells)
        parts["xl/sharedStrings.xml"] = shared
        in_time()
    parts["xl/worksheets/sheet1.xml"] = sheet = _unpack(
        archive, infos[first], budget, limits.unpacked_bytes
    )
    in_time()
    _check_extent(sheet, limits, in_time)
    del sheet, shared  # the parts are freed one by one as the new zip is written
    _book(parts, out, date1904=date1904)


class _Budget:
    """The bytes all parts may still unpack to."""

    def __init__(self, limits: Limits):
        self.left = limits.unpacked_bytes
        self.mb = limits.unpacked_bytes // 2**20


_CHUNK = 1024 * 1024


def _unpack(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, most: int
) -> bytearray:
    """A part's real bytes: zipfile stops at the declared size and checks the CRC at the
    end (a size that lies is a damaged file); never more than the budget."""
    allowed = min(most, budget.left)
    if info.file_size > allowed:
        raise SpreadsheetError("too_large_unpacked", mb=budget.mb)
    out = bytearray()
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            out += chunk
            if len(out) > allowed:  # counted here too: a declared size is never trusted
                raise SpreadsheetError("too_large_unpacked", mb=budget.mb)
    budget.left -= len(out)
    return out


def _xml(data: bytes | bytearray) -> Iterator[tuple[str, Element]]:
    """A small part (workbook, relations), parsed: ElementTree resolves no external
    entity, and its expat (2.4.1 or later) refuses entity amplification."""
    return iterparse(io.BytesIO(data), events=("end",))  # noqa: S314 - see the docstring


# -- the sheet's extent ----------------------------------------------------------------------

# The start of a <c> or <row> element (any namespace prefix), and the rest of its tag.
_TAG = re.compile(rb"<(?:[^\s<>/!?]+:)?(c|row)(?=[\s/>])([^<>]*)")
# An r attribute (single or double quotes, spaces around =). A second r is looked for too:
# calamine takes the last.
_R_ATTR = re.compile(rb"""(?:^|[\s"'])r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_REF = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})")
_ROW_REF = re.compile(rb"[0-9]{1,7}")


def _column(letters: bytes) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ch - 64
    return index - 1


# A sheet as Excel, LibreOffice and openpyxl write it: every <c> and <row> unprefixed,
# with r first and only once (any other attribute named, never r again).
_PREFIXED_TAG = re.compile(rb"<[^\s<>/!?]+:(?:c|row)[\s/>]")
_ANY_CELL = re.compile(rb"<c[\s/>]()")  # the empty group: findall lists b"", never a copy
_ANY_ROW = re.compile(rb"<row[\s/>]()")
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})[0-9]{1,7}"(?: (?!r=)[\w:]+="[^"<>]*")* ?/?>')
_PLAIN_ROW = re.compile(rb'<row r="([0-9]{1,7})"(?: (?!r=)[\w:]+="[^"<>]*")* ?/?>')


def _above(n: int) -> bytes:
    """A pattern for the whole numbers greater than n (any longer one counts as greater)."""
    digits = str(n)
    options = [rb"[0-9]{%d,}" % (len(digits) + 1)]
    for i, d in enumerate(digits):
        if d != "9":
            rest = len(digits) - i - 1
            options.append(b"%s[%d-9][0-9]{%d}" % (digits[:i].encode(), int(d) + 1, rest))
    return b"(?:" + b"|".join(options) + b")"


def _plain_extent(xml: bytes | bytearray, limits: Limits) -> tuple[int, int, int] | None:
    """(rows, columns, cells) of a plain sheet, found in a few passes of C code; None when
    the sheet is not plain (then every tag is looked at)."""
    if _PREFIXED_TAG.search(xml):
        return None
    cells = len(_ANY_CELL.findall(xml))
    rows = len(_ANY_ROW.findall(xml))
    if cells > limits.cells or rows > limits.cells:
        raise SpreadsheetError("too_many_cells", cells=limits.cells)
    found = _PLAIN_CELL.findall(xml)  # one letter is a shared bytes object: no copies
    if len(found) != cells:
        return None
    letters = set(found)
    del found
    numbers = _PLAIN_ROW.findall(xml)
    if len(numbers) != rows:
        return None
    last_row = max(map(int, numbers), default=0)
    # A cell below its sheet's last <row> is possible: then every tag is looked at.
    if cells and re.search(rb'<c r="[A-Z]{1,3}' + _above(last_row) + b'"', xml):
        return None
    columns = max((_column(x) + 1 for x in letters), default=0)
    return last_row, columns, cells


def _check_extent(xml: bytes | bytearray, limits: Limits, in_time: Callable[[], None]) -> None:
    """Where calamine can place a cell, at most: the last row and column any <row> or <c>
    names, or reaches by counting (a row without r follows the last one; a cell without r
    follows the previous cell of its row). SpreadsheetError when the rectangle from A1 to
    there, or the number of cells, is beyond the limits."""
    plain = _plain_extent(xml, limits)
    in_time()
    if plain is not None:
        rows, columns, _cells = plain
        if columns > limits.columns:
            raise SpreadsheetError("too_many_columns", columns=limits.columns)
        if rows * columns > limits.cells:
            raise SpreadsheetError("too_many_cells", cells=limits.cells, rows=rows, columns=columns)
        return
    last_row = -1  # 0-based
    last_column = -1
    column = -1  # the previous cell's column in this row
    cells = 0
    column_of: dict[bytes, int] = {}  # a reference's letters: its column
    for count, match in enumerate(_TAG.finditer(xml)):
        if count % 50_000 == 0:
            in_time()
        name, attributes = match.groups()
        refs = [a or b for a, b in _R_ATTR.findall(attributes)] if b"r" in attributes else []
        if name == b"row":
            row = last_row + 1
            for ref in refs:
                if not _ROW_REF.fullmatch(ref):
                    raise SpreadsheetError("damaged")
                row = max(row, int(ref) - 1)
            last_row = max(last_row, row)
            column = -1
            continue
        cells += 1
        column += 1
        for ref in refs:
            found = _CELL_REF.fullmatch(ref)
            if found is None:
                raise SpreadsheetError("damaged")
            letters, digits = found.groups()
            position = column_of.get(letters)
            if position is None:
                position = column_of[letters] = _column(letters)
            column = max(column, position)
            last_row = max(last_row, int(digits) - 1)
        last_row = max(last_row, 0)
        last_column = max(last_column, column)
        if last_column >= limits.columns:
            raise SpreadsheetError("too_many_columns", columns=limits.columns)
        if cells > limits.cells:
            raise SpreadsheetError("too_many_cells", cells=limits.cells)
    if (last_row + 1) * (last_column + 1) > limits.cells:
        raise SpreadsheetError(
            "too_many_cells", cells=limits.cells, rows=last_row + 1, columns=last_column + 1
        )


# -- the workbook handed to calamine ---------------------------------------------------------

_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = {
    "xl/workbook.xml": f"{_CONTENT}.sheet.main+xml",
    "xl/worksheets/sheet1.xml": f"{_CONTENT}.worksheet+xml",
    "xl/sharedStrings.xml": f"{_CONTENT}.sharedStrings+xml",
    "xl/styles.xml": f"{_CONTENT}.styles+xml",
}
_REL_TYPES = {
    "xl/worksheets/sheet1.xml": "worksheet",
    "xl/sharedStrings.xml": "sharedStrings",
    "xl/styles.xml": "styles",
}


def _book(parts: dict[str, bytearray], out: IO[bytes], *, date1904: bool) -> None:
    """A stored (uncompressed) zip of the verified parts and a workbook written here."""
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE_REL}">'
        f'<workbookPr date1904="{int(date1904)}"/><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    relations = "".join(
        f'<Relationship Id="rId{i}" Type="{_OFFICE_REL}/{_REL_TYPES[name]}"'
        f' Target="{name.removeprefix("xl/")}"/>'
        for i, name in enumerate(
            sorted(parts, key=lambda n: n != "xl/worksheets/sheet1.xml"), start=1
        )
    )
    overrides = "".join(
        f'<Override PartName="/{name}" ContentType="{_CONTENT_TYPES[name]}"/>'
        for name in ("xl/workbook.xml", *parts)
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="application'
            '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml"'
            f' ContentType="application/xml"/>{overrides}</Types>',
        )
        book.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_REL}">'
            f'<Relationship Id="rId1" Type="{_OFFICE_REL}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr("xl/workbook.xml", workbook)
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PACKAGE_REL}">'
            f"{relations}</Relationships>",
        )
        for name in list(parts):
            book.writestr(name, parts.pop(name))  # each part freed once it is written
