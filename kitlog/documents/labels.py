"""Parcel labels as PDF: a QR code and a few words per parcel, on A4 label sheets or on
a thermal printer's roll. Data in, bytes out.

Sheet geometry is data (LAYOUTS), taken from the label makers' templates (gLabels'
avery-iso-templates.xml): sources differ by a millimetre or two, so each printer also
gets an X/Y offset, measured on a test sheet (render_test_sheet).

A label carries what the warehouse and the field officer need to match a parcel to its
household, and nothing that identifies a person beyond that: never the NIK or the phone,
and the head of household's name only when the round asks for it.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from reportlab import rl_config
from reportlab.lib.rl_accel import escapePDF
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from kitlog.documents.fonts import BOLD, REGULAR, draw_string, runs, string_width
from kitlog.documents.qr import QUIET_ZONE, place_qr, qr_path

MM = 72 / 25.4  # points per millimetre
DOTS_203 = 25.4 / 203  # one dot of a 203-dpi thermal head, in mm

ELLIPSIS = "…"


# The labels' QR codes are chosen by measurement: bench/qr_scan.py prints kitlog's own
# label PDFs at 300 dpi (A4) and 203 dpi (thermal), reads each label from a simulated phone
# photo (5 camera pixels a mm, blur σ 1.5 px, JPEG 70, turned 3-5°) with zxing-cpp; 96
# labels a layout, URLs of 45 characters. What counts most is the module's size:
# - thermal 50 × 30: Q, version 4, 5 dots (0.63 mm) and the encoder's mask read 30 of 96;
#   M, version 3, 6 dots (0.75 mm), the biggest code the label holds, reads 96 of 96
#   (H, version 5, 0.63 mm: 57). Nothing this size reads at σ 2.0.
# - error correction: the lowest version that holds the URL at L, raised to the strongest
#   level that version holds (M here): at σ 2.0 on a4-3x8, L read 86 of 96 and M 96.
# - mask 1 (alternate rows) read best near the edge of what reads: σ 1.5 at 3.5 px/mm,
#   25 and 26 of 96 on the A4 layouts against 18 and 21 for the encoder's choice and 19
#   for the checkerboard (mask 0); thermal at 4.5 px/mm, 93 against 89 and 92. Mask 4
#   read worst (10 and 2 of 96).
QR_MASK = 1


@dataclass(frozen=True)
class Layout:
    """Where the labels sit on a page, in millimetres from the page's top-left corner."""

    name: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float  # the page's left edge to the first column's left edge
    top: float  # the page's top edge to the first row's top edge
    pitch_x: float  # one column's left edge to the next one's
    pitch_y: float  # one row's top edge to the next one's
    # A thermal head prints whole dots: a module of a whole number of dots stays sharp.
    dot: float | None = None
    # The QR code and its quiet zone take at most this share of the label's width.
    qr_share: float = 0.52
    code_min_size: float = 7  # points: the short code shrinks to this, then wraps at its hyphens
    # The QR code (see QR_MASK): the lowest version that holds the URL at this error
    # correction, raised to the strongest level that version holds; the mask pattern.
    error_correction: str = "L"
    boost_error_correction: bool = True
    mask: int | None = QR_MASK

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def pages_for(self, labels: int) -> int:
        return math.ceil(labels / self.per_page) if labels > 0 else 0

    def positions(self) -> list[tuple[float, float]]:
        """(left, top) of each label of a page, in mm, row by row."""
        return [
            (self.left + column * self.pitch_x, self.top + row * self.pitch_y)
            for row in range(self.rows)
            for column in range(self.columns)
        ]


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        # Avery L7159 (and compatibles): 24 labels of 63.5 × 33.9 mm, no gap between rows.
        Layout("a4-3x8", 210, 297, 3, 8, 63.5, 33.9, 7.25, 12.9, 66.0, 33.9),
        # Avery L7160: 21 labels of 63.5 × 38.1 mm.
        Layout("a4-3x7", 210, 297, 3, 7, 63.5, 38.1, 7.25, 15.15, 66.0, 38.1),
        # One 50 × 30 mm label per page, for a thermal label printer behind the OS driver:
        # the code takes the label's height, and its short code is never under 11 pt.
        Layout(
            "thermal-50x30",
            *(50, 30, 1, 1, 50, 30, 0, 0, 50, 30),
            dot=DOTS_203,
            qr_share=0.6,
            code_min_size=11,
        ),
    )
}
DEFAULT_LAYOUT = "a4-3x8"


@dataclass(frozen=True)
class Label:
    """What one parcel's label says; every text is already in the reader's language."""

    url: str  # what the QR code encodes: <KITLOG_BASE_URL>/p/<token>
    code: str  # the short code, formatted ABC-DEF-GHJ
    household: str  # the household's code
    village: str
    round_name: str
    donor: str  # the donor code(s) of the round's batches
    kits: str = ""  # "2 kit"
    head_name: str | None = None  # only when the round shows it


# -- text that fits ------------------------------------------------------------------------


def fit_text(text: str, font: str, size: float, width: float, min_size: float) -> tuple[str, float]:
    """The text and a font size at which it fits `width` points: the given size, or
    smaller down to `min_size`, and cut short with an ellipsis below that."""
    full = string_width(text, font, size)
    if full <= width:
        return text, size
    smaller = max(min_size, size * width / full * 0.999)
    if string_width(text, font, smaller) <= width:
        return text, smaller
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if string_width(text[:middle].rstrip() + ELLIPSIS, font, min_size) <= width:
            low = middle
        else:
            high = middle - 1
    return (text[:low].rstrip() + ELLIPSIS if low else ""), min_size


# -- one label -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Geometry:
    """One layout's label, worked out once per document."""

    module: float  # QR module, points
    qr_left: float  # the symbol's left edge from the label's left edge (inside the quiet zone)
    text_left: float  # the text column's left edge from the label's left edge
    text_width: float
    scale: float  # font sizes relative to a 33.9 mm label


PADDING = 1.2  # mm kept free of ink along the label's edges (die cut, printer drift)


def _geometry(layout: Layout, modules: int) -> _Geometry:
    """The biggest QR code the label holds beside its text. A camera reads a code by its
    module size (see QR_MASK), so the quiet zone may take the label's
    padding, which is free of ink too; the dark modules stay clear of the padding."""
    span = modules + 2 * QUIET_ZONE
    room = min(layout.label_height, layout.label_width * layout.qr_share)
    module_mm = min(room / span, (room - 2 * PADDING) / modules)
    if layout.dot:
        module_mm = max(1, math.floor(module_mm / layout.dot)) * layout.dot
    qr_size_mm = module_mm * span  # with its quiet zone
    left_mm = max(0.0, min(PADDING, (layout.label_height - qr_size_mm) / 2))
    text_left_mm = left_mm + qr_size_mm
    return _Geometry(
        module=module_mm * MM,
        qr_left=(left_mm + QUIET_ZONE * module_mm) * MM,
        text_left=text_left_mm * MM,
        text_width=(layout.label_width - text_left_mm - PADDING) * MM,
        scale=min(layout.label_height / 33.9, 1.0),  # a taller label wraps, not enlarges
    )


def qr_size(layout: Layout, url: str) -> tuple[int, float]:
    """The modules across the URL's code on this layout, and the module's size in mm."""
    code = qr_path(url, layout.error_correction, layout.mask, layout.boost_error_correction)
    return code.modules, _geometry(layout, code.modules).module / MM


def wrap_text(
    text: str, font: str, size: float, width: float, max_lines: int, *, at_hyphens: bool = False
) -> list[str]:
    """The text broken at spaces into at most `max_lines` lines of `width` points; what
    does not fit is cut short with an ellipsis (so is a single word wider than a line).
    A code (ABC-DEF-GHJ) breaks `at_hyphens` instead, each line keeping its hyphen."""
    words, gap = (re.findall(r"[^-]*-|[^-]+", text), "") if at_hyphens else (text.split(), " ")
    lines: list[str] = []
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and string_width(f"{line}{gap}{words[0]}", font, size) <= width:
            line = f"{line}{gap}{words.pop(0)}"
        lines.append(line)
    if words:  # more than fits: the last line ends with an ellipsis
        lines[-1] = f"{lines[-1]}{gap}{gap.join(words)}"
    return [fit_text(line, font, size, width, size)[0] for line in lines]


# (text, font, size, smallest size on one line, lines at most when even that is too wide,
# whether it breaks at hyphens rather than spaces)
_Line = tuple[str, str, float, float, int, bool]
LEADING = 1.2  # a line's height, in font sizes


def _lines(label: Label, scale: float, code_min_size: float) -> list[_Line]:
    """What the label says, from top to bottom, largest first: the short code first."""
    code_size = max(14 * scale, code_min_size)
    lines: list[_Line] = [
        (label.code, BOLD, code_size, code_min_size, 3, True),
        (label.household, BOLD, 9 * scale, 6, 1, False),
    ]
    if label.head_name:
        lines.append((label.head_name, REGULAR, 7.5 * scale, 6.5 * scale, 1, False))
    lines += [
        (label.village, BOLD, 8.5 * scale, 7 * scale, 2, False),
        (label.round_name, REGULAR, 7 * scale, 6 * scale, 2, False),
        (
            " · ".join(part for part in (label.donor, label.kits) if part),
            REGULAR,
            7 * scale,
            5,
            1,
            False,
        ),
    ]
    return [line for line in lines if line[0]]


def _fitted(
    label: Label, width: float, height: float, scale: float, code_min_size: float
) -> list[tuple[str, float, str]]:
    """(text, size, font) of every printed line: shrunk to fit, else wrapped, else cut.
    When the lines are taller than `height` points, those after the short code keep to
    one line each."""
    code, *rest = _lines(label, scale, code_min_size)
    fitted = [*_fit_line(*code, width)]
    wrapped = [part for line in rest for part in _fit_line(*line, width)]
    if sum(size for _text, size, _font in fitted + wrapped) * LEADING > height:
        wrapped = [
            part
            for text, font, size, min_size, _most, at_hyphens in rest
            for part in _fit_line(text, font, size, min_size, 1, at_hyphens, width)
        ]
    return fitted + wrapped


@lru_cache(maxsize=4096)
def _fit_line(
    text: str,
    font: str,
    size: float,
    min_size: float,
    max_lines: int,
    at_hyphens: bool,
    width: float,
) -> tuple[tuple[str, float, str], ...]:
    """One of a label's lines as printed; a run's villages, round and donors repeat on
    label after label, so each is measured once."""
    one_line, one_size = fit_text(text, font, size, width, min_size)
    if max_lines == 1 or one_line == text:
        return ((one_line, one_size, font),)
    return tuple(
        (line, min_size, font)
        for line in wrap_text(text, font, min_size, width, max_lines, at_hyphens=at_hyphens)
    )


def _num(value: float) -> str:
    """A number as PDF content writes it: at most 4 decimals, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


class _Writer:
    """Writes labels onto one canvas as raw page operators (reportlab's drawString and
    path objects format every number anew, which costs more than the label itself).
    What a run repeats is worked out once: the geometry per code size, the shown text
    per line."""

    def __init__(self, canvas: Canvas, layout: Layout):
        self.canvas = canvas
        self.layout = layout
        self.height = layout.label_height * MM
        self._geometry: dict[int, _Geometry] = {}
        self._shown: dict[tuple[str, str, float], str] = {}

    def geometry(self, modules: int) -> _Geometry:
        geometry = self._geometry.get(modules)
        if geometry is None:
            geometry = self._geometry[modules] = _geometry(self.layout, modules)
        return geometry

    def shown(self, text: str, font: str, size: float) -> str:
        """`text` set in `font` at `size` as text-showing operators: each run in its
        face (kitlog.documents.fonts), each face's characters in the subsets it embeds,
        as drawString does."""
        key = (text, font, size)
        operators = self._shown.get(key)
        if operators is None:
            # The canvas's PDF document keeps each font's subsets; Canvas keeps it
            # private, so its stubs leave it out.
            doc = self.canvas._doc  # type: ignore[attr-defined]
            size_text = _num(size)
            shown = []
            for face_name, run in runs(text, font):
                face = getFont(face_name)
                assert isinstance(face, TTFont)
                for subset, chunk in face.splitString(run, doc):
                    name = face.getSubsetInternalName(subset, doc)
                    shown.append(f"{name} {size_text} Tf ({escapePDF(chunk)}) Tj")
            operators = self._shown[key] = " ".join(shown)
        return operators

    def label(self, label: Label, x: float, y_top: float) -> None:
        """One label whose top-left corner is at (x, y_top) points."""
        layout = self.layout
        code = qr_path(
            label.url, layout.error_correction, layout.mask, layout.boost_error_correction
        )
        geometry = self.geometry(code.modules)
        height = self.height
        qr_top = y_top - (height - code.modules * geometry.module) / 2
        place_qr(self.canvas, code, x + geometry.qr_left, qr_top, geometry.module)

        fitted = _fitted(
            label,
            geometry.text_width,
            height - 2 * PADDING * MM,
            geometry.scale,
            layout.code_min_size,
        )
        leading = LEADING
        block = sum(size * leading for _text, size, _font in fitted)
        baseline = y_top - (height - block) / 2
        text_x = _num(x + geometry.text_left)
        operators = ["BT"]
        for text, size, font in fitted:
            baseline -= size * leading
            if text:
                y = baseline + size * (leading - 1)
                operators.append(f"1 0 0 1 {text_x} {_num(y)} Tm {self.shown(text, font, size)}")
        operators.append("ET")
        self.canvas.addLiteral(" ".join(operators))


# -- documents -----------------------------------------------------------------------------


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
    """Write the document with its page streams compressed but not ASCII85-armoured:
    reportlab's default armour (for 7-bit channels, which a PDF download is not) makes
    the file a quarter bigger and, in pure Python, costs a third of a label run."""
    use_a85 = rl_config.useA85
    rl_config.useA85 = 0
    try:
        canvas.save()
    finally:
        rl_config.useA85 = use_a85


def _origins(layout: Layout, offset_x: float, offset_y: float) -> list[tuple[float, float]]:
    """Each label's top-left corner in points, shifted by the printer's offset
    (mm; + is right and down)."""
    page_height = layout.page_height * MM
    return [
        ((left + offset_x) * MM, page_height - (top + offset_y) * MM)
        for left, top in layout.positions()
    ]


def render_labels(
    labels: Iterable[Label],
    layout: Layout,
    *,
    offset_x: float = 0.0,
    offset_y: float = 0.0,
    title: str = "kitlog labels",
) -> bytes:
    """The labels, in order, filling each page row by row."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, layout, title)
    origins = _origins(layout, offset_x, offset_y)
    writer = _Writer(canvas, layout)
    slot = 0
    for label in labels:
        if slot == len(origins):
            canvas.showPage()
            slot = 0
        writer.label(label, *origins[slot])
        slot += 1
    canvas.showPage()
    _save(canvas)
    return buffer.getvalue()


def render_test_sheet(
    layout: Layout,
    *,
    offset_x: float = 0.0,
    offset_y: float = 0.0,
    lines: Sequence[str] = (),
    title: str = "kitlog test sheet",
) -> bytes:
    """One page of label outlines, each with a cross at its centre and a millimetre scale
    on the cross's arms: printed on plain paper and held over a sheet of labels against
    the light, it shows how far this printer shifts the print. `lines` (the instructions,
    in the reader's language) are printed in the middle of the sheet."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, layout, title)
    width, height = layout.label_width * MM, layout.label_height * MM
    arm = min(width, height) * 0.4
    canvas.setLineWidth(0.3)
    for x, y_top in _origins(layout, offset_x, offset_y):
        canvas.setStrokeGray(0.55)
        canvas.rect(x, y_top - height, width, height, stroke=1, fill=0)
        cx, cy = x + width / 2, y_top - height / 2
        canvas.setStrokeGray(0)
        canvas.line(cx - arm, cy, cx + arm, cy)
        canvas.line(cx, cy - arm, cx, cy + arm)
        for tick in range(1, int(arm / MM) + 1):  # a mark every mm, longer every 5 mm
            d = tick * MM
            half = (1.2 if tick % 5 == 0 else 0.6) * MM
            for sign in (-1, 1):
                canvas.line(cx + sign * d, cy - half, cx + sign * d, cy + half)
                canvas.line(cx - half, cy + sign * d, cx + half, cy + sign * d)
    _draw_instructions(canvas, layout, lines)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_instructions(canvas: Canvas, layout: Layout, lines: Sequence[str]) -> None:
    """The instructions in a white box over the middle of the page (on a thermal label,
    along its bottom edge, small)."""
    if not lines:
        return
    page_width, page_height = layout.page_width * MM, layout.page_height * MM
    thermal = layout.per_page == 1
    if thermal:  # a small label: the first line only, clear of the cross
        lines = lines[:1]
    size = 4.5 if thermal else 9
    room = page_width - (2 if thermal else 30) * MM
    fitted = [fit_text(line, REGULAR, size, room, min(size, 4)) for line in lines]
    leading = size * 1.3
    box_height = leading * len(fitted) + size
    bottom = 0.3 * MM if thermal else (page_height - box_height) / 2
    if not thermal:
        canvas.setFillGray(1)
        canvas.rect(
            (page_width - room) / 2 - 3 * MM, bottom, room + 6 * MM, box_height, stroke=0, fill=1
        )
    canvas.setFillGray(0)
    y = bottom + box_height - leading
    for text, text_size in fitted:
        draw_string(canvas, page_width / 2, y, text, REGULAR, text_size, anchor="middle")
        y -= leading
