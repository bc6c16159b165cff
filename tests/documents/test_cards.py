"""Household card PDFs: one ID-1 card a page, or ten to an A4 sheet with cutting marks.
Every card decodes to its own household's URL, from the print and from a phone's photo;
it shows its short code large, the household's code, head, village and regency, never
the NIK or the phone; its words stay on the card, off its QR code's quiet zone."""

from __future__ import annotations

import base64
import subprocess
import tempfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from kitlog.documents.cards import (
    CARD,
    CARD_HEIGHT,
    CARD_WIDTH,
    CODE_MIN_SIZE,
    CUT_TOLERANCE,
    EDGE,
    MARK_GAP,
    SHEET,
    CardFace,
    qr_place,
    render_card,
    render_card_sheets,
)
from kitlog.documents.labels import QR_MASK
from kitlog.documents.qr import QUIET_ZONE
from tests.documents.capture import OFFICE_DPI, PHONE, PRINT, scan
from tests.documents.pdf import char_boxes, decode_pages, page_count, page_texts, poppler

BASE = "https://kitlog.example.org"
NIK = "3507091204870003"
PHONE_NUMBER = "+6281234567890"
LONG_HEAD = "Siti Rahayu binti Abdul Rahman Wahyudi Prawiranegara Kusumawardhani Sastroamidjojo"
LONG_VILLAGE = "Kelurahan Sumberejo Kidul Wetan Kecamatan Ngantang Kabupaten Malang Jawa Timur"
MM = 72 / 25.4


def token(n: int) -> str:
    """A card token as kitlog makes them: 80 bits, base32, 16 characters."""
    return base64.b32encode((n * 104729 + 2**75).to_bytes(10, "big")).decode()


def face(n: int = 0, **changes) -> CardFace:
    values = {
        "url": f"{BASE}/h/{token(n)}",
        "short_code": f"ABC-DEF-{n:03d}",
        "household_code": f"HH-{n:06d}",
        "head_name": "Siti Rahayu" if n % 2 else "Nguyễn Thị Ánh",
        "village": LONG_VILLAGE if n % 3 == 0 else "Sedayu",
        "regency": "Kabupaten Malang",
        "issued": date(2026, 3, 1),
    }
    return CardFace(**{**values, **changes})


def faces(count: int) -> list[CardFace]:
    return [face(n) for n in range(count)]


def rendered(pdf: bytes, dpi: int = OFFICE_DPI) -> list[Image.Image]:
    """Every page as poppler's pdftoppm prints it, in grey."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "cards.pdf")
        path.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-gray", "-png", str(path), str(Path(folder, "page"))],
            check=True,
        )
        return [Image.open(page).convert("L") for page in sorted(Path(folder).glob("page-*.png"))]


def crop_mm(image: Image.Image, box: tuple[float, float, float, float], dpi: int) -> Image.Image:
    """The part of a page between (left, top, right, bottom) mm from its top-left corner."""
    return image.crop(tuple(round(mm * dpi / 25.4) for mm in box))


def dark_pixels(image: Image.Image) -> int:
    return sum(image.point(lambda v: 255 if v < 128 else 0).histogram()[255:])


def font_sizes(pdf: bytes) -> list[tuple[str, float]]:
    """Each printed character of the first page and its font size in points."""
    document = pdfium.PdfDocument(pdf)
    try:
        text_page = document[0].get_textpage()
        return [
            (text_page.get_text_range(i, 1), pdfium_raw.FPDFText_GetFontSize(text_page.raw, i))
            for i in range(text_page.count_chars())
            if text_page.get_text_range(i, 1).strip()
        ]
    finally:
        document.close()


def page_mm(pdf: bytes) -> list[tuple[float, float]]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [(w * 25.4 / 72, h * 25.4 / 72) for w, h in (page.get_size() for page in document)]
    finally:
        document.close()


def test_one_card_is_a_page_of_the_id1_size():
    [(width, height)] = page_mm(render_card(face()))
    assert abs(width - 85.6) <= 0.1 and abs(height - 54) <= 0.1


def test_a_sheet_is_a4_with_ten_cards_and_eleven_cards_take_two_sheets():
    pdf = render_card_sheets(faces(11))
    assert page_count(pdf) == 2
    for width, height in page_mm(pdf):
        assert abs(width - 210) <= 0.1 and abs(height - 297) <= 0.1
    assert [len(found) for found in decode_pages(pdf)] == [10, 1]
    texts = page_texts(pdf)
    assert [sum(f"HH-{n:06d}" in text for n in range(11)) for text in texts] == [10, 1]


def test_the_sheets_block_of_cards_is_centred_on_the_page():
    positions = SHEET.positions()
    left = min(x for x, _y in positions)
    right = max(x for x, _y in positions) + CARD_WIDTH
    top = min(y for _x, y in positions)
    bottom = max(y for _x, y in positions) + CARD_HEIGHT
    assert abs(left - (210 - right)) < 0.01 and abs(top - (297 - bottom)) < 0.01
    assert (SHEET.columns, SHEET.rows) == (2, 5)


def test_the_card_shows_its_codes_head_village_and_regency_never_the_nik_or_phone():
    card = face(7, head_name="Siti Rahayu", village="Sedayu", regency="Kabupaten Malang")
    for pdf in (render_card(card), render_card_sheets([card])):
        text = poppler("pdftotext", pdf)
        for words in ("ABC-DEF-007", "HH-000007", "Siti Rahayu", "Sedayu", "Kabupaten Malang"):
            assert words in text
        assert "Kartu Penerima Bantuan" in text and "Household card" in text
        assert "kitlog" in text and "2026-03-01" in text
        digits = "".join(ch for ch in text if ch.isdigit())
        assert NIK not in digits and PHONE_NUMBER[1:] not in digits and "812345" not in digits


def test_every_card_on_a_sheet_decodes_alone_to_its_own_url():
    cards = faces(13)
    pages = rendered(render_card_sheets(cards))
    assert len(pages) == 2
    read = []
    for page in pages:
        for left, top in SHEET.positions():
            region = crop_mm(page, (left, top, left + CARD_WIDTH, top + CARD_HEIGHT), OFFICE_DPI)
            read.append([code.text for code in zxingcpp.read_barcodes(region)])
    assert read[: len(cards)] == [[card.url] for card in cards]
    assert read[len(cards) :] == [[]] * (20 - len(cards))  # the last sheet's empty places


@pytest.mark.parametrize("capture", [PRINT, PHONE[1.5]], ids=["print", "phone σ1.5"])
def test_a_card_reads_back_from_the_print_and_a_phone_photo(capture):
    cards = faces(12)
    urls = [card.url for card in cards]
    sheet = scan(render_card_sheets(cards), SHEET, urls, capture, dpi=OFFICE_DPI)
    assert (sheet.read, sheet.wrong) == (len(urls), ())
    one = scan(render_card(cards[0]), CARD, urls[:1], capture, dpi=OFFICE_DPI)
    assert (one.read, one.wrong) == (1, ())


def test_the_code_is_labels_qr_choice_with_modules_of_at_least_half_a_millimetre():
    [[found]] = decode_pages(render_card(face()))
    assert (found.version, found.ec_level, found.mask) == (3, "M", QR_MASK)
    for base in (BASE, "https://distribusi-bantuan.iom-indonesia.example.org/kitlog"):
        place = qr_place(f"{base}/h/{token(1)}")
        assert place.module >= 0.5
        # the quiet zone is whole on the card even when the cut misses by a millimetre
        assert place.left - QUIET_ZONE * place.module >= CUT_TOLERANCE - 1e-9
        bottom = place.top + (place.modules + QUIET_ZONE) * place.module
        assert bottom <= CARD_HEIGHT - CUT_TOLERANCE + 1e-9


def test_the_quiet_zone_around_the_code_is_free_of_ink():
    card = face(0, head_name=LONG_HEAD, village=LONG_VILLAGE, short_code="WWW-MWM-WWW")
    [page] = rendered(render_card(card))
    place = qr_place(card.url)
    size, zone = place.modules * place.module, QUIET_ZONE * place.module
    left, top = place.left - zone, place.top - zone
    ring = crop_mm(page, (left, top, left + size + 2 * zone, top + size + 2 * zone), OFFICE_DPI)
    px = OFFICE_DPI / 25.4
    symbol = [round(v * px) for v in (zone - 0.2, zone - 0.2, zone + size + 0.2, zone + size + 0.2)]
    ImageDraw.Draw(ring).rectangle(symbol, fill=255)  # the symbol itself, a little wider
    assert dark_pixels(ring) == 0


def test_the_short_code_is_large_and_long_names_are_cut_short_on_the_card():
    for code in ("ABC-DEF-GHJ", "WWW-MWM-WWW"):
        card = face(0, short_code=code, head_name=LONG_HEAD, village=LONG_VILLAGE)
        pdf = render_card(card)
        sizes = font_sizes(pdf)
        printed = "".join(char for char, _size in sizes)
        start = printed.index(code)
        assert min(size for _char, size in sizes[start : start + len(code)]) >= CODE_MIN_SIZE
        assert "…" in printed and LONG_HEAD not in printed  # the head's name, cut short
        qr_right = qr_place(card.url).right * MM
        for char, (left, bottom, right, top) in char_boxes(pdf):
            assert left >= EDGE * MM - 0.5 and right <= (CARD_WIDTH - EDGE) * MM + 0.5, char
            assert bottom >= EDGE * MM - 0.5 and top <= (CARD_HEIGHT - EDGE) * MM + 0.5, char
            below_title = top < (CARD_HEIGHT - 10) * MM
            assert not below_title or left >= qr_right, char  # beside the code, not on it


def test_cutting_marks_guide_every_cut_and_none_falls_on_a_card():
    pdf = render_card_sheets(faces(10))
    [page] = rendered(pdf)
    positions = SHEET.positions()
    lefts = sorted({x for x, _y in positions})
    tops = sorted({y for _x, y in positions})
    columns = [edge for x in lefts for edge in (x, x + CARD_WIDTH)]
    rows = sorted({edge for y in tops for edge in (y, y + CARD_HEIGHT)})
    first, last = tops[0], tops[-1] + CARD_HEIGHT
    for x in columns:  # in the margins above and below the block
        for y0, y1 in (
            (first - MARK_GAP - 4, first - MARK_GAP),
            (last + MARK_GAP, last + MARK_GAP + 4),
        ):
            assert dark_pixels(crop_mm(page, (x - 0.2, y0, x + 0.2, y1), OFFICE_DPI)), (x, y0)
    for y in rows:  # in the margins left and right, and in the gutter between the columns
        for x0, x1 in (
            (lefts[0] - MARK_GAP - 4, lefts[0] - MARK_GAP),
            (columns[1] + MARK_GAP, columns[2] - MARK_GAP),
            (columns[3] + MARK_GAP, columns[3] + MARK_GAP + 4),
        ):
            assert dark_pixels(crop_mm(page, (x0, y - 0.2, x1, y + 0.2), OFFICE_DPI)), (x0, y)
    for left, top in positions:  # each card's outer millimetre is blank: no mark, no text
        for band in (
            (left, top, left + CARD_WIDTH, top + 1),
            (left, top + CARD_HEIGHT - 1, left + CARD_WIDTH, top + CARD_HEIGHT),
            (left, top, left + 1, top + CARD_HEIGHT),
            (left + CARD_WIDTH - 1, top, left + CARD_WIDTH, top + CARD_HEIGHT),
        ):
            assert dark_pixels(crop_mm(page, band, OFFICE_DPI)) == 0, band


def test_a_card_in_any_script_keeps_its_names():
    card = replace(face(1), head_name="Nguyễn Thị Ánh", village="Śląsk", regency="한국")
    text = poppler("pdftotext", render_card(card))
    assert "Nguyễn Thị Ánh" in text and "Śląsk" in text and "한국" in text
