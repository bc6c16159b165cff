"""The faces kitlog's PDFs print in, registered once with reportlab, and text set in them.

The PDF standard fonts (Helvetica…) know Latin-1 only: a donor called 한국국제협력단, a
village in Śląsk or a head of household called Nguyễn would print as boxes. Every PDF
kitlog makes therefore embeds TrueType fonts vendored in kitlog/fonts
(scripts/vendor_fonts.py; their licences lie beside them), subset to the characters the
document uses:

- REGULAR and BOLD, Liberation Sans: Latin (Polish and Vietnamese letters too), Greek and
  Cyrillic, with Helvetica's metrics;
- FALLBACK, Droid Sans Fallback: Hangul, CJK ideographs and kana, one weight. It is
  loaded on the first text that needs it (it is 3.4 MB), and sets only the characters
  the main face lacks: Latin text stays in the main face, also beside Korean.

A document never names a face for a string itself: it measures with `string_width`,
writes Paragraph text with `markup`, and draws on a canvas with `draw_string`, which
split the text into runs per face (`runs`).
"""

from __future__ import annotations

import struct
import threading
import unicodedata
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.pdfbase.pdfmetrics import registerFont, registerFontFamily, stringWidth
from reportlab.pdfbase.ttfonts import TTFont, TTFontFace, TTFontMaker
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.tables import CellStyle

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

REGULAR = "KitlogSans"
BOLD = "KitlogSans-Bold"
FALLBACK = "KitlogCJK"

_FILES = {
    REGULAR: "LiberationSans-Regular.ttf",
    BOLD: "LiberationSans-Bold.ttf",
    FALLBACK: "DroidSansFallback.ttf",
}

Anchor = Literal["start", "middle", "end"]


# Hinting (TrueType instructions that snap outlines to a screen's pixels) is more than
# half of Liberation Sans's glyph data; PDF viewers and printers render well without it.
_HINTING_TABLES = ("cvt ", "fpgm", "prep")
# A composite glyph's component flags (the OpenType 'glyf' table).
_ARGS_ARE_WORDS = 0x1
_SCALE = 0x8
_MORE = 0x20
_XY_SCALE = 0x40
_TWO_BY_TWO = 0x80
_INSTRUCTIONS = 0x100


def _tables(font: bytes) -> dict[str, bytes]:
    (count,) = struct.unpack_from(">H", font, 4)
    tables = {}
    for index in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sLLL", font, 12 + 16 * index)
        tables[tag.decode("latin-1")] = font[offset : offset + length]
    return tables


def _unhinted_glyph(glyph: bytes) -> bytes:
    """One glyph's outline without its instructions."""
    if len(glyph) < 10:
        return glyph
    (contours,) = struct.unpack_from(">h", glyph, 0)
    if contours >= 0:  # a simple glyph: instructions follow the contours' end points
        at = 10 + 2 * contours
        (length,) = struct.unpack_from(">H", glyph, at)
        return glyph[:at] + b"\0\0" + glyph[at + 2 + length :]
    at, flags = 10, _MORE  # a composite glyph: instructions follow the last component
    while flags & _MORE:
        (flags,) = struct.unpack_from(">H", glyph, at)
        last = at
        at += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        at += 2 if flags & _SCALE else 4 if flags & _XY_SCALE else 8 if flags & _TWO_BY_TWO else 0
    if not flags & _INSTRUCTIONS:
        return glyph[:at]
    return glyph[:last] + struct.pack(">H", flags & ~_INSTRUCTIONS) + glyph[last + 2 : at]


def _unhinted(font: bytes) -> bytes:
    """A TrueType font (a document's subset) without its hinting: the instructions of
    every glyph and the tables they use."""
    tables = _tables(font)
    head, loca, glyf = tables["head"], tables["loca"], tables["glyf"]
    (long_offsets,) = struct.unpack_from(">h", head, 50)
    count = len(loca) // (4 if long_offsets else 2)
    offsets = (
        struct.unpack(f">{count}L", loca)
        if long_offsets
        else tuple(2 * o for o in struct.unpack(f">{count}H", loca))
    )
    glyphs, positions, position = [], [], 0
    for start, end in pairwise(offsets):
        glyph = _unhinted_glyph(glyf[start:end]) if end > start else b""
        glyph += b"\0" * (-len(glyph) % 4)
        positions.append(position)
        glyphs.append(glyph)
        position += len(glyph)
    positions.append(position)
    maker = TTFontMaker()
    for tag, data in tables.items():
        if tag not in _HINTING_TABLES and tag not in ("glyf", "loca", "head"):
            maker.add(tag, data)
    maker.add("glyf", b"".join(glyphs))
    maker.add("loca", struct.pack(f">{len(positions)}L", *positions))
    maker.add("head", head[:50] + struct.pack(">h", 1) + head[52:])
    return maker.makeStream()


class _UnhintedFace(TTFontFace):
    """A face whose subsets are embedded without hinting."""

    def makeSubset(self, subset: Sequence[int]) -> bytes:  # noqa: N802 - reportlab's name
        return _unhinted(super().makeSubset(subset))


def _load(name: str) -> TTFont:
    font = TTFont(name, str(FONT_DIR / _FILES[name]))
    # The face reportlab made, with the one method that differs (it keeps no other state).
    font.face.__class__ = _UnhintedFace
    registerFont(font)
    return font


_main = {name: _load(name) for name in (REGULAR, BOLD)}
# <b> inside a Paragraph set in the main face picks the bold face.
registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
# A table sets its cells' font before drawing each one, even an empty cell or one that
# holds a Paragraph: with reportlab's default (Helvetica), every PDF with a table would
# name a font it does not embed.
CellStyle.fontname = REGULAR
_COVERED = frozenset(_main[REGULAR].face.charToGlyph) & frozenset(_main[BOLD].face.charToGlyph)

_fallback_lock = threading.Lock()
_fallback: frozenset[int] | None = None


def _fallback_chars() -> frozenset[int]:
    """The characters the fallback face has, registering it on first use (once, also when
    two threads ask at the same moment)."""
    global _fallback
    if _fallback is None:
        with _fallback_lock:
            if _fallback is None:
                font = _load(FALLBACK)
                # One weight: <b> around Korean keeps the regular face.
                registerFontFamily(
                    FALLBACK, normal=FALLBACK, bold=FALLBACK, italic=FALLBACK, boldItalic=FALLBACK
                )
                _fallback = frozenset(font.face.charToGlyph)
    return _fallback


def runs(text: str, font: str = REGULAR) -> list[tuple[str, str]]:
    """The text as (face, run) pairs: in `font`, except the runs of characters it lacks,
    which the fallback face sets when it has them (a character neither has stays in
    `font`, which prints its empty box)."""
    if text.isascii():
        return [(font, text)] if text else []
    text = unicodedata.normalize("NFC", text)  # ễ typed as e + two accents is one glyph
    pieces: list[tuple[str, str]] = []
    start, current = 0, font
    for index, char in enumerate(text):
        code = ord(char)
        face = font if code in _COVERED or code not in _fallback_chars() else FALLBACK
        if face != current and index > start:
            pieces.append((current, text[start:index]))
            start = index
        current = face
    pieces.append((current, text[start:]))
    return pieces


def needs_fallback(text: str) -> bool:
    """Whether some character of the text is set in the fallback face."""
    return any(face == FALLBACK for face, _run in runs(text))


def string_width(text: str, font: str, size: float) -> float:
    """The printed width of the text in points, each run measured in its own face."""
    if text.isascii():
        return float(stringWidth(text, font, size))
    return float(sum(stringWidth(run, face, size) for face, run in runs(text, font)))


def markup(text: str) -> str:
    """The text as Paragraph markup: escaped (A&B stays A&B, <b> is not bold), with the
    runs the main face lacks in the fallback face."""
    return "".join(
        escape(run) if face != FALLBACK else f'<font name="{FALLBACK}">{escape(run)}</font>'
        for face, run in runs(text)
    )


def draw_string(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    font: str,
    size: float,
    *,
    anchor: Anchor = "start",
) -> None:
    """Draw one line of text whose start, middle or end (`anchor`) is at x, in the
    canvas's fill colour."""
    if anchor != "start":
        width = string_width(text, font, size)
        x -= width if anchor == "end" else width / 2
    line = canvas.beginText(x, y)
    for face, run in runs(text, font):
        line.setFont(face, size)
        line.textOut(run)
    canvas.drawText(line)


def wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    """The text in lines of at most `width` points, broken at spaces and else after a
    hyphen or a slash, never inside a word: a piece wider than a line gets a line of its
    own (the caller shrinks the size with `size_for_words` first)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for piece in _pieces(paragraph):
            joined = line + piece
            if line and string_width(joined.rstrip(), font, size) > width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line = joined
        lines.append(line.rstrip())
    return lines


def widest_word(text: str, font: str, size: float) -> float:
    """The width of the widest piece of the text that a line cannot break (between
    spaces, hyphens and slashes), in points."""
    return max((string_width(p.strip(), font, size) for p in _pieces(text)), default=0.0)


def size_for_words(text: str, font: str, size: float, width: float, smallest: float) -> float:
    """The largest size up to `size` (and not below `smallest`) at which every piece of
    the text that cannot be broken fits `width` points."""
    widest = widest_word(text, font, size)
    if widest <= width:
        return size
    return max(smallest, size * width / widest * 0.999)


def _pieces(text: str) -> list[str]:
    """The text cut where a line may break: after spaces, hyphens and slashes; a piece
    keeps the space before it, so that joining the pieces gives the text back."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if char == " " and current.strip():
            pieces.append(current)
            current = ""
        current += char
        if char in "-/" and current.strip(" -/"):
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    return pieces
