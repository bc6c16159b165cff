"""The templates to fill in: a CSV of the header row, and an XLSX with the columns and,
on a second sheet, the instructions and allowed values in the current language."""

from __future__ import annotations

import io

from flask_babel import gettext

from kitlog.services.households import PROVINCE_NAMES
from kitlog.services.imports.columns import (
    COLUMNS,
    EXAMPLE_ROW,
    RELATION_WORDS,
    TEXT_COLUMNS,
    VULNERABILITY_WORDS,
    column_instructions,
)


def template_csv() -> bytes:
    """The header row of an import file, as CSV UTF-8."""
    return (",".join(COLUMNS) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    """A workbook to fill in: the columns (NIK and phone as Text), then the instructions
    and the allowed values in the current language on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = gettext("Households")[:31]
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    text_columns = {COLUMNS.index(name) + 1 for name in TEXT_COLUMNS}
    for column in range(1, len(COLUMNS) + 1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = 20
        if column in text_columns:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1002):  # Excel keeps the format of cells it has been told
                sheet.cell(row=row, column=column).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(gettext("Instructions")[:31])
    notes.append([gettext("How to fill in this file")])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append(
        [
            gettext(
                "One household a row, from row 2. Keep the column names of row 1 as they"
                " are. Blank rows are skipped. One bad row stops the whole import:"
                " kitlog lists every problem with its row number."
            )
        ]
    )
    notes.append([])
    notes.append([gettext("Column"), gettext("What to write")])
    for cell in notes[notes.max_row]:
        cell.font = Font(bold=True)
    for name, text in column_instructions():
        notes.append([name, text])
    notes.append([])
    notes.append([gettext("Allowed values")])
    notes[notes.max_row][0].font = Font(bold=True)
    notes.append(["worker_relation", "; ".join(RELATION_WORDS)])
    notes.append(["vulnerabilities", "; ".join(VULNERABILITY_WORDS)])
    notes.append(["consent", "yes; no; ya; tidak"])
    notes.append([])
    notes.append([gettext("Provinces")])
    notes[notes.max_row][0].font = Font(bold=True)
    for name in PROVINCE_NAMES:
        notes.append(["province", name])
    notes.append([])
    notes.append([gettext("Example row")])
    notes[notes.max_row][0].font = Font(bold=True)
    notes.append(list(COLUMNS))
    notes.append([str(EXAMPLE_ROW[f]) for f in COLUMNS])
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
