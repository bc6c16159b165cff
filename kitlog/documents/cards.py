"""Household cards as PDF: one ID-1 card (85.6 × 54 mm, a bank card's size) per household,
with its own QR code, on a card printer's page or ten to an A4 sheet with cutting marks.
Data in, bytes out.

A card is held by the household for as long as the programme lasts and is shown to field
officers and warehouse staff of either language, so it says what it is in Indonesian and
in English at once, whatever the language of the person who printed it. Like a parcel's
label it carries what matches a parcel to its household, and nothing that identifies a
person beyond that: the head of household's name, the village and regency, never the NIK
or the phone.

The QR code is made as labels make theirs (kitlog.documents.labels, QR_MASK): the lowest
version that holds the URL at L, raised to the strongest level that version holds (M for
a URL of about 45 characters, version 3), mask 1. A card has more room than a label: the
module is about 1 mm, twice what a phone needs, so a worn or creased card still reads.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from kitlog.documents.fonts import BOLD, REGULAR, draw_string
from kitlog.documents.labels import MM, QR_MASK, Layout, fit_text, wrap_text
from kitlog.documents.qr import QUIET_ZONE, place_qr, qr_path

# ISO/IEC 7810 ID-1, in mm.
CARD_WIDTH = 85.6
CARD_HEIGHT = 54.0

# One card a page, for a card printer (or a PDF viewer's "actual size" on plain paper).
CARD = Layout("card-id1", CARD_WIDTH, CARD_HEIGHT, 1, 1, CARD_WIDTH, CARD_HEIGHT, 0, 0, 0, 0)

# Ten cards on A4 portrait, the block centred. Rows touch, as on business-card sheets: one
# guillotine cut between two rows, and 13.5 mm above and below the block for the marks
# that guide it. The columns are parted by a gutter that takes the marks between them.
SHEET_GUTTER = 8.0
_SHEET_LEFT = (210 - 2 * CARD_WIDTH - SHEET_GUTTER) / 2
_SHEET_TOP = (297 - 5 * CARD_HEIGHT) / 2
SHEET = Layout(
    "a4-cards-2x5",
    *(210, 297, 2, 5, CARD_WIDTH, CARD_HEIGHT),
    *(_SHEET_LEFT, _SHEET_TOP, CARD_WIDTH + SHEET_GUTTER, CARD_HEIGHT),
)

# The card's words: both languages on every card (see the module's docstring).
TITLE = "Kartu Penerima Bantuan"
SUBTITLE = "Household card"
BRAND = "kitlog"
CODE_CAPTION = "Kode kartu / Card code"
ISSUED = "Diterbitkan / Issued"

EDGE = 3.0  # mm of the card kept free of text along its cut edges
CUT_TOLERANCE = 1.0  # mm: how far a guillotine may miss; the QR's quiet zone stays whole
HEADER = 10.0  # mm from the card's top edge to the rule under its title
QR_MAX = 38.0  # mm: the QR code with its quiet zone; the rest of the width is the text's
CODE_SIZE, CODE_MIN_SIZE = 16.0, 12.0  # points: the short code, shrunk no further
LEADING = 1.2  # a line's height, in font sizes

MARK_GAP = 1.5  # mm between a card's corner and its cutting marks: a cut a little off
MARK_LENGTH = 5.0  # leaves no stub of a mark on the card
MARK_WIDTH = 0.25  # points


@dataclass(frozen=True)
class CardFace:
    """What one household's card says."""

    url: str  # what the QR code encodes: <KITLOG_BASE_URL>/h/<token>
    short_code: str  # as shown: ABC-DEF-GHJ
    household_code: str
    head_name: str
    village: str  # its name
    regency: str  # its name
    issued: date


@dataclass(frozen=True)
class _QrPlace:
    """The card's QR code: modules across, module size and top-left dark corner (mm)."""

    modules: int
    module: float
    left: float
    top: float

    @property
    def right(self) -> float:
        """The right edge of the quiet zone."""
        return self.left + (self.modules + QUIET_ZONE) * self.module


def qr_place(url: str) -> _QrPlace:
    """The biggest code up to QR_MAX that fits below the title, its quiet zone whole on
    the card even when the cut misses by CUT_TOLERANCE, centred in the space below the
    title."""
    modules = qr_path(url, "L", QR_MASK, True).modules
    span = modules + 2 * QUIET_ZONE
    room = CARD_HEIGHT - HEADER - CUT_TOLERANCE
    module = min(QR_MAX, room) / span
    box_top = HEADER + (room - span * module) / 2
    return _QrPlace(
        modules,
        module,
        CUT_TOLERANCE + QUIET_ZONE * module,
        box_top + QUIET_ZONE * module,
    )


def _canvas(buffer: io.BytesIO, layout: Layout, title: str) -> Canvas:
    canvas = Canvas(
        buffer,
        pagesize=(layout.page_width * MM, layout.page_height * MM),
        pageCompression=1,
        invariant=1,
        # else the page starts in Helvetica, which it never embeds; the stubs say float
        initialFontName=REGULAR,  # type: ignore[arg-type]
    )
    canvas.setTitle(title)
    canvas.setAuthor("kitlog")
    canvas.setCreator("kitlog")
    return canvas


def _save(canvas: Canvas) -> None:
    """Write the document with its page streams compressed but not ASCII85-armoured (see
    kitlog.documents.labels)."""
    use_a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = use_a85


def _lines(face: CardFace, width: float) -> list[tuple[str, str, float]]:
    """(text, font, size) of the text column's lines, top to bottom: the short code
    largest, shrunk to fit; the names wrapped, and cut short with an ellipsis when even
    that is too long."""
    lines = [(CODE_CAPTION, REGULAR, 6.0)]
    code, code_size = fit_text(face.short_code, BOLD, CODE_SIZE, width, CODE_MIN_SIZE)
    lines.append((code, BOLD, code_size))
    household, household_size = fit_text(face.household_code, BOLD, 10, width, 7)
    lines.append((household, BOLD, household_size))
    for text, font, size, min_size, most in (
        (face.head_name, BOLD, 9.0, 7.5, 2),
        (face.village, REGULAR, 8.0, 6.5, 2),
        (face.regency, REGULAR, 8.0, 6.5, 1),
    ):
        if not text:
            continue
        one_line, one_size = fit_text(text, font, size, width, min_size)
        if one_line == text or most == 1:
            lines.append((one_line, font, one_size))
        else:
            lines += [
                (line, font, min_size) for line in wrap_text(text, font, min_size, width, most)
            ]
    return lines


def _draw_card(canvas: Canvas, face: CardFace, x: float, y_top: float) -> None:
    """One card whose top-left corner is at (x, y_top) points."""
    right = x + (CARD_WIDTH - EDGE) * MM
    width = (CARD_WIDTH - 2 * EDGE) * MM
    canvas.setFillGray(0)
    title_size = 9.5
    baseline = y_top - EDGE * MM - title_size * 0.75
    title, size = fit_text(TITLE, BOLD, title_size, width - 32, 7)
    draw_string(canvas, x + EDGE * MM, baseline, title, BOLD, size)
    draw_string(canvas, right, baseline, BRAND, BOLD, title_size, anchor="end")
    draw_string(canvas, x + EDGE * MM, baseline - 8.5, SUBTITLE, REGULAR, 7.5)
    canvas.setLineWidth(0.5)
    canvas.setStrokeGray(0)
    rule = y_top - (HEADER - 0.5) * MM
    canvas.line(x + EDGE * MM, rule, right, rule)

    place = qr_place(face.url)
    code = qr_path(face.url, "L", QR_MASK, True)
    place_qr(canvas, code, x + place.left * MM, y_top - place.top * MM, place.module * MM)

    text_left = x + place.right * MM + 1 * MM
    text_width = right - text_left
    top = y_top - (HEADER + 1.5) * MM
    for text, font, size in _lines(face, text_width):
        top -= size * LEADING
        draw_string(canvas, text_left, top + size * (LEADING - 1), text, font, size)
    issued = f"{ISSUED}: {face.issued.isoformat()}"
    issued, issued_size = fit_text(issued, REGULAR, 6.5, text_width, 5)
    draw_string(canvas, text_left, y_top - (CARD_HEIGHT - EDGE) * MM, issued, REGULAR, issued_size)


def render_card(face: CardFace, *, title: str = "kitlog household card") -> bytes:
    """One card on a page of the card's own size."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, CARD, title)
    _draw_card(canvas, face, 0, CARD_HEIGHT * MM)
    canvas.showPage()
    _save(canvas)
    return buffer.getvalue()


def _cutting_marks(canvas: Canvas, layout: Layout, cards: int) -> None:
    """Marks along the cut lines of the page's first `cards` cards, at every corner, outside
    the cards: MARK_GAP away from the corner, MARK_LENGTH long, or shorter where the next
    card or the page's edge comes first."""
    page_height = layout.page_height * MM
    boxes = [
        (left, top, left + layout.label_width, top + layout.label_height)
        for left, top in layout.positions()[:cards]
    ]

    def clear(x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the segment (mm) stays on the page and MARK_GAP away from every card."""
        if not (min(x0, x1) >= 0 and max(x0, x1) <= layout.page_width):
            return False
        if not (min(y0, y1) >= 0 and max(y0, y1) <= layout.page_height):
            return False
        for left, top, right, bottom in boxes:
            dx = max(left - max(x0, x1), 0, min(x0, x1) - right)
            dy = max(top - max(y0, y1), 0, min(y0, y1) - bottom)
            if math.hypot(dx, dy) < MARK_GAP - 1e-6:
                return False
        return True

    marks: set[tuple[float, ...]] = set()
    for left, top, right, bottom in boxes:
        for cx, cy in ((left, top), (right, top), (left, bottom), (right, bottom)):
            out_x = -1 if cx == left else 1
            out_y = -1 if cy == top else 1
            for dx, dy in ((out_x, 0), (0, out_y)):  # along the card's edge, outwards
                length = MARK_LENGTH
                while length >= 1:
                    start = (cx + dx * MARK_GAP, cy + dy * MARK_GAP)
                    end = (start[0] + dx * length, start[1] + dy * length)
                    if clear(*start, *end):
                        # Two cards' marks that meet in a gutter are one line.
                        marks.add(
                            tuple(round(v, 3) for point in sorted((start, end)) for v in point)
                        )
                        break
                    length -= 0.5
    canvas.setLineWidth(MARK_WIDTH)
    canvas.setStrokeGray(0)
    for x0, y0, x1, y1 in sorted(marks):
        canvas.line(x0 * MM, page_height - y0 * MM, x1 * MM, page_height - y1 * MM)


def render_card_sheets(
    faces: Iterable[CardFace], *, title: str = "kitlog household cards"
) -> bytes:
    """The cards, in order, ten to an A4 page (two columns, five rows, row by row), with
    cutting marks."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, SHEET, title)
    page_height = SHEET.page_height * MM
    origins = [(left * MM, page_height - top * MM) for left, top in SHEET.positions()]
    slot = 0
    for face in faces:
        if slot == len(origins):
            _cutting_marks(canvas, SHEET, slot)
            canvas.showPage()
            slot = 0
        _draw_card(canvas, face, *origins[slot])
        slot += 1
    _cutting_marks(canvas, SHEET, slot)
    canvas.showPage()
    _save(canvas)
    return buffer.getvalue()
