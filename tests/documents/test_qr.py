"""The QR encoder behind labels and manifests: what it draws is what a camera reads back,
at the error correction asked for, dark where the symbol is dark."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from kitlog.documents.qr import QUIET_ZONE, dark_runs, matrix_path, place_qr, qr_matrix, qr_path
from tests.documents.pdf import decode_pages

URL = "https://kitlog.example.org/p/ABCDEFGHJKLMNPQR"
TEXTS = [URL, "https://kitlog.example.org/manifests/12345", "x", "A" * 120]
LEVELS = ["L", "M", "Q", "H"]


def _image(matrix: list[list[bool]], scale: int = 4) -> Image.Image:
    """The matrix as a camera would see it: black modules, a white quiet zone."""
    size = (len(matrix) + 2 * QUIET_ZONE) * scale
    image = Image.new("L", (size, size), 255)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + QUIET_ZONE) * scale, (r + QUIET_ZONE) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    return image


def _read(image: Image.Image):
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False)
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("text", TEXTS)
def test_the_matrix_reads_back_as_its_text_at_its_error_correction(text, level):
    matrix = qr_matrix(text, level)
    n = len(matrix)
    assert n >= 21 and (n - 17) % 4 == 0 and all(len(row) == n for row in matrix)
    # dark means dark: each finder pattern's outer ring is dark, its inner ring light
    for top, left in ((0, 0), (0, n - 7), (n - 7, 0)):
        assert all(matrix[top][left + i] and matrix[top + 6][left + i] for i in range(7))
        assert not any(matrix[top + 1][left + i] for i in range(1, 6))
    found = _read(_image(matrix))  # not inverted: a light-on-dark symbol would fail here
    assert found.text == text
    assert found.ec_level == level


@pytest.mark.parametrize("level", ["M", "Q"])
def test_the_path_fills_exactly_the_dark_modules(level):
    matrix = qr_matrix(URL, level)
    path = qr_path(URL, level)
    assert path.modules == len(matrix)
    filled = set()
    for c, r, length, height in (
        tuple(map(int, m.groups()))
        for m in re.finditer(r"(-?\d+) (-?\d+) (\d+) (\d+) re", path.operators)
    ):
        assert height == 1 and length >= 1
        for i in range(length):
            assert (r, c + i) not in filled  # one rectangle per run: no overlap
            filled.add((r, c + i))
    dark = {(r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
    assert filled == dark
    assert len(re.findall(r" re", path.operators)) == len(dark_runs(matrix))


@pytest.mark.parametrize("level", ["M", "Q"])
def test_a_placed_code_on_a_pdf_page_reads_back_at_least_at_its_level(level):
    buffer_canvas = Canvas(None, pagesize=(200, 200))
    place_qr(buffer_canvas, qr_path(URL, level), 30, 170, 3.5)
    pdf = buffer_canvas.getpdfdata()
    [[found]] = decode_pages(pdf)
    assert found.text == URL
    assert LEVELS.index(found.ec_level) >= LEVELS.index(level)


def test_an_unknown_error_correction_level_is_refused():
    with pytest.raises(ValueError, match="error correction"):
        qr_matrix(URL, "X")


@pytest.mark.parametrize("text", TEXTS)
def test_a_boosted_code_keeps_the_smallest_version_at_the_strongest_level_it_holds(text):
    least = qr_matrix(text, "L")
    found = _read(_image(qr_matrix(text, "L", boost=True)))
    assert found.text == text and int(found.extra["Version"]) == (len(least) - 17) // 4
    level = found.ec_level
    assert len(qr_matrix(text, level)) == len(least)  # that level alone needs no bigger code
    if level != "H":  # and the next one would
        assert len(qr_matrix(text, LEVELS[LEVELS.index(level) + 1])) > len(least)


@pytest.mark.parametrize("mask", range(8))
def test_the_mask_pattern_asked_for_is_the_one_printed(mask):
    found = _read(_image(qr_matrix(URL, "M", mask=mask)))
    assert (found.text, found.extra["DataMask"]) == (URL, mask)
    path = qr_path(URL, "L", mask=mask, boost=True)
    assert path.operators == matrix_path(qr_matrix(URL, "L", mask=mask, boost=True)).operators


def test_an_unknown_mask_pattern_is_refused():
    with pytest.raises(ValueError, match="mask pattern"):
        qr_matrix(URL, "M", mask=8)
