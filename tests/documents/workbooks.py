"""Workbooks built by hand, part by part, to craft the files an XLSX reader must refuse
(shared by the reader's tests and the import endpoint's)."""

from __future__ import annotations

import io
import struct
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def book(sheet_data: str = "", *, prolog: str = "", parts: dict | None = None, method=None):
    """A minimal workbook around the given <sheetData> content."""
    sheet = f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>'
    files = {
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1"'
            ' r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
        **(parts or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method or zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def lying_sizes(content: bytes, name: bytes = b"xl/worksheets/sheet1.xml") -> bytes:
    """The zip with the part's unpacked size declared as 1 kB, in its local header and in
    the central directory."""
    content = bytearray(content)
    for signature, offset, fixed in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        at = content.find(signature)
        while at != -1:
            if content[at + fixed : at + fixed + len(name)] == name:
                struct.pack_into("<I", content, at + offset, 1024)
            at = content.find(signature, at + 4)
    return bytes(content)
