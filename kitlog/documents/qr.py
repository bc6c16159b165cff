"""QR codes as module matrices, drawn onto a reportlab canvas as vector rectangles.

The symbol is encoded by zxing-cpp (C++: the data segments, the error correction and the
choice of the mask pattern take about half a millisecond, against about five in pure
Python). It comes out as a row-major grid of bytes, 0 for a dark module.

One rectangle per horizontal run of dark modules, all in one filled path: a version-4
code is about 250 rectangles instead of about 550 single modules, and stays crisp at any
printer resolution. The path is written once per code in module units (whole numbers,
no formatting of coordinates) and placed on the page by a transformation matrix, so a
sheet of labels costs little more than the bytes of its paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import zxingcpp

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4  # modules of white space around the symbol (ISO/IEC 18004)
ERROR_CORRECTION = ("L", "M", "Q", "H")  # each recovers about 7, 15, 25 and 30 % of the code
MASKS = range(8)  # the data mask patterns; 0 is the checkerboard, (row + column) mod 2
_DARK_RUN = re.compile(rb"\x00+")


@dataclass(frozen=True)
class QrPath:
    """A symbol as PDF path operators in module units: `modules` wide and high, the
    origin at its top-left dark-module corner, one `c r len 1 re` per run of dark
    modules (row r counted downwards; the drawing flips it)."""

    modules: int
    operators: str


def _encode(
    text: str, level: str, mask: int | None, version: int | None = None
) -> zxingcpp.Barcode:
    options: dict[str, object] = {"ec_level": level}
    if mask is not None:
        options["data_mask"] = mask
    if version is not None:
        options["version"] = version
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, **options)
    if code.ec_level != level:  # never weaker than asked for
        raise ValueError(f"zxing-cpp encoded EC {code.ec_level}, not {level}")
    return code


def _grid(
    text: str, error_correction: str, mask: int | None = None, boost: bool = False
) -> tuple[int, bytes]:
    """(width with the quiet zone, row-major bytes: 0 dark, 255 light), of the smallest
    version the text fits at `error_correction`. With `boost`, the error correction is
    then raised as far as that version holds: a stronger code at the same module size.
    `mask` is the data mask pattern (0-7); None lets the encoder pick it by the
    standard's penalty score."""
    if error_correction not in ERROR_CORRECTION:
        raise ValueError(f"error correction {error_correction!r}: use one of L, M, Q, H")
    if mask is not None and mask not in MASKS:
        raise ValueError(f"mask pattern {mask!r}: use one of 0 to 7")
    image = _encode(text, error_correction, mask).to_image(scale=1, add_quiet_zones=True)
    height, width = image.shape
    if height != width or width <= 2 * QUIET_ZONE:
        raise ValueError(f"unexpected QR image {height}x{width}")
    if boost:
        version = (width - 2 * QUIET_ZONE - 17) // 4
        stronger = ERROR_CORRECTION[ERROR_CORRECTION.index(error_correction) + 1 :]
        for level in reversed(stronger):  # H first
            try:
                code = _encode(text, level, mask, version)
            except ValueError:  # more than this version holds at that level
                continue
            image = code.to_image(scale=1, add_quiet_zones=True)
            break
        if image.shape != (width, width):
            raise ValueError(f"a boosted code of {image.shape}, not {width}x{width}")
    return width, bytes(memoryview(image))  # type: ignore[arg-type]  # a buffer; the stub omits it


def qr_matrix(
    text: str, error_correction: str = "M", mask: int | None = None, boost: bool = False
) -> list[list[bool]]:
    """The symbol's modules, row by row (True = dark), without the quiet zone (see
    _grid for the arguments)."""
    width, grid = _grid(text, error_correction, mask, boost)
    inner = range(QUIET_ZONE, width - QUIET_ZONE)
    return [[grid[r * width + c] == 0 for c in inner] for r in inner]


def dark_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    runs: list[tuple[int, int, int]] = []
    for r, row in enumerate(matrix):
        start = None
        for c, dark in enumerate(row):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                runs.append((r, start, c - start))
                start = None
        if start is not None:
            runs.append((r, start, len(row) - start))
    return runs


def _operators(runs: Iterable[tuple[int, int, int]]) -> str:
    return " ".join(f"{c} {r} {length} 1 re" for r, c, length in runs)


@lru_cache(maxsize=4096)
def qr_path(
    text: str, error_correction: str = "M", mask: int | None = None, boost: bool = False
) -> QrPath:
    """The symbol as path operators (see QrPath; _grid for the arguments). The light quiet
    zone around every row keeps a run from spilling into the next row. Kept for the last
    few thousand codes: a reprint of the same parcels encodes nothing again."""
    width, grid = _grid(text, error_correction, mask, boost)
    q = QUIET_ZONE
    operators = " ".join(
        [
            f"{start % width - q} {start // width - q} {end - start} 1 re"
            for start, end in map(re.Match.span, _DARK_RUN.finditer(grid))
        ]
    )
    return QrPath(width - 2 * q, operators)


def matrix_path(matrix: list[list[bool]]) -> QrPath:
    """A matrix (True = dark) as path operators."""
    return QrPath(len(matrix), _operators(dark_runs(matrix)))


def _num(value: float) -> str:
    """A number as PDF content writes it: 6 decimals at most (a module size stays a whole
    number of a printer's dots), no trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def place_qr(canvas: Canvas, path: QrPath, x: float, y_top: float, module: float) -> None:
    """Fill the symbol with its top-left dark-module corner at (x, y_top), in points, in
    the current fill colour. The caller keeps the quiet zone (QUIET_ZONE modules on every
    side) free of ink."""
    m = _num(module)
    canvas.addLiteral(f"q {m} 0 0 -{m} {_num(x)} {_num(y_top)} cm {path.operators} f Q")


def draw_qr(
    canvas: Canvas, matrix: list[list[bool]], x: float, y_top: float, module: float
) -> None:
    """Draw a matrix (True = dark) with its top-left dark-module corner at (x, y_top)."""
    place_qr(canvas, matrix_path(matrix), x, y_top, module)
