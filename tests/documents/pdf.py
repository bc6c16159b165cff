"""Reading back what kitlog prints: the QR codes a camera finds on each page, and the text."""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium
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
