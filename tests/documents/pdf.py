"""Reading back what kitlog prints: the QR codes a camera finds on each page, the text,
and, through poppler's tools as a reader would run them, the fonts and the words' boxes."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import zxingcpp

DPI = 200


@dataclass(frozen=True)
class Found:
    """One decoded QR code: its text, error correction level and centre (pixels), its
    version and mask pattern."""

    text: str
    ec_level: str
    x: float
    y: float
    version: int
    mask: int


def decode_pages(pdf: bytes, dpi: int = DPI) -> list[list[Found]]:
    """Every page rendered at `dpi`, and the QR codes zxing-cpp reads on it."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72).to_pil().convert("L")
            found = []
            for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                p = code.position
                corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
                found.append(
                    Found(
                        text=code.text,
                        ec_level=code.ec_level,
                        x=sum(c.x for c in corners) / 4,
                        y=sum(c.y for c in corners) / 4,
                        version=int(code.extra["Version"]),
                        mask=int(code.extra["DataMask"]),
                    )
                )
            pages.append(found)
    finally:
        document.close()
    return pages


def page_texts(pdf: bytes) -> list[str]:
    """The text of every page, as a PDF reader extracts it."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def char_boxes(pdf: bytes, page_index: int = 0) -> list[tuple[str, tuple[float, ...]]]:
    """Each printed character of a page and its box (left, bottom, right, top) in points,
    the origin at the page's bottom-left corner."""
    document = pdfium.PdfDocument(pdf)
    try:
        text_page = document[page_index].get_textpage()
        boxes = []
        for i in range(text_page.count_chars()):
            char = text_page.get_text_range(i, 1)
            if char.strip():
                boxes.append((char, text_page.get_charbox(i)))
        return boxes
    finally:
        document.close()


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def page_size_mm(pdf: bytes) -> tuple[float, float]:
    document = pdfium.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
        return round(width * 25.4 / 72, 1), round(height * 25.4 / 72, 1)
    finally:
        document.close()


def char_fonts(pdf: bytes, page_index: int = 0) -> list[tuple[str, str]]:
    """Each character of a page with the name of the font it is set in (no subset tag)."""
    document = pdfium.PdfDocument(pdf)
    try:
        text_page = document[page_index].get_textpage()
        found = []
        for i in range(text_page.count_chars()):
            size = pdfium_raw.FPDFText_GetFontInfo(text_page.raw, i, None, 0, None)
            name = ctypes.create_string_buffer(size)
            pdfium_raw.FPDFText_GetFontInfo(text_page.raw, i, name, size, None)
            found.append((text_page.get_text_range(i, 1), name.value.decode()))
        return found
    finally:
        document.close()


def poppler(tool: str, pdf: bytes, *args: str) -> str:
    """What one of poppler's tools (poppler-utils: pdftotext, pdffonts) prints for the PDF."""
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: apt-get install poppler-utils", pytrace=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "document.pdf")
        path.write_bytes(pdf)
        return subprocess.run(
            [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
            capture_output=True,
            check=True,
            text=True,
        ).stdout


@dataclass(frozen=True)
class EmbeddedFont:
    """One line of pdffonts: the font's name (with its subset tag), embedded, subset."""

    name: str
    embedded: bool
    subset: bool


def embedded_fonts(pdf: bytes) -> list[EmbeddedFont]:
    lines = poppler("pdffonts", pdf).splitlines()[2:]  # below the header and its rule
    fonts = []
    for line in lines:
        fields = line.split()  # name type… encoding emb sub uni object-id generation
        fonts.append(EmbeddedFont(fields[0], fields[-5] == "yes", fields[-4] == "yes"))
    return fonts


@dataclass(frozen=True)
class Word:
    """A word as pdftotext -bbox finds it, its box in points from the page's top-left."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def words(pdf: bytes, page: int = 1) -> list[Word]:
    """The words of a page (counted from 1) with their boxes, in reading order."""
    found = poppler("pdftotext", pdf, "-bbox", "-f", str(page), "-l", str(page))
    return [
        Word(unescape(text), float(left), float(top), float(right), float(bottom))
        for left, top, right, bottom, text in _WORD.findall(found)
    ]
