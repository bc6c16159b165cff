"""Reading every donor output as text: the PDF's, the workbook's and the CSV's words, for
the tests that search them for what must never be there (personal data, feedback)."""

from __future__ import annotations

import csv
import html
import io
import zipfile

import openpyxl
import pypdfium2 as pdfium

from kitlog.documents.spreadsheets import TABLES


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        pages = [page.get_textpage().get_text_range() for page in document]
        metadata = " ".join(str(v) for v in document.get_metadata_dict().values())
    finally:
        document.close()
    return "\n".join(pages) + "\n" + metadata


def xlsx_text(data: bytes) -> str:
    """Every XML part of the workbook, unescaped, and every cell as openpyxl reads it."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            parts.append(html.unescape(archive.read(name).decode("utf-8")))
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        parts.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            parts.extend(str(value) for value in row if value is not None)
    return "\n".join(parts)


def as_text(response) -> str:
    assert response.status_code == 200, (response.request.path, response.status_code)
    mimetype = response.mimetype
    if mimetype == "application/pdf":
        return pdf_text(response.data)
    if mimetype.endswith("spreadsheetml.sheet"):
        return xlsx_text(response.data)
    text = response.data.decode("utf-8-sig")
    if mimetype == "text/csv":
        assert list(csv.reader(io.StringIO(text, newline="")))  # a CSV, really
    return html.unescape(text)


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets found in the text, case and spacing folded (a PDF wraps long lines)."""
    folded = " ".join(text.split()).casefold()
    compact = "".join(text.split()).casefold()  # "0812 0000 0007" or a name split oddly
    return [
        s for s in secrets
        if " ".join(s.split()).casefold() in folded or "".join(s.split()).casefold() in compact
    ]  # fmt: skip


def every_export(client, api_client, token: str) -> dict[str, object]:
    """Every donor output of KOICA's report, fetched: each CSV table, the workbook and the
    PDF from the report page, the API and the share link; the JSON; both pages."""
    paths = {}
    for kind in ("csv", "xlsx", "pdf"):
        tables = TABLES if kind == "csv" else (None,)
        for table in tables:
            query = f"?table={table}" if table else ""
            paths[f"web {kind} {table or ''}"] = ("web", f"/reports/donors/KOICA.{kind}{query}")
            paths[f"api {kind} {table or ''}"] = (
                "api",
                f"/api/v1/reports/donors/KOICA.{kind}{query}",
            )
            paths[f"shared {kind} {table or ''}"] = ("web", f"/share/{token}.{kind}{query}")
    paths["api json"] = ("api", "/api/v1/reports/donors/KOICA")
    paths["report page"] = ("web", "/reports/donors/KOICA")
    paths["shared page"] = ("web", f"/share/{token}")
    answers = {}
    for name, (who, path) in paths.items():
        answers[name] = (api_client if who == "api" else client).get(path)
    return answers
