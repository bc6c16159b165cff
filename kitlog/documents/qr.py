"""QR codes as module matrices, drawn onto a reportlab canvas as vector rectangles.

One rectangle per horizontal run of dark modules, all in one filled path: a version-4
code is about 250 rectangles instead of about 550 single modules, and stays crisp at any
printer resolution.
"""

from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

QUIET_ZONE = 4  # modules of white space around the symbol (ISO/IEC 18004)
ERROR_CORRECTION = {
    "L": ERROR_CORRECT_L,
    "M": ERROR_CORRECT_M,
    "Q": ERROR_CORRECT_Q,
    "H": ERROR_CORRECT_H,
}


def qr_matrix(text: str, error_correction: str = "M") -> list[list[bool]]:
    """The symbol's modules, row by row (True = dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION[error_correction], border=0)
    code.add_data(text)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.modules]


def dark_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of every horizontal run of dark modules."""
    runs = []
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


def draw_qr(canvas, matrix: list[list[bool]], x: float, y_top: float, module: float) -> None:
    """Draw the symbol with its top-left dark-module corner at (x, y_top), in points.

    The caller keeps the quiet zone (QUIET_ZONE modules on every side) free of ink.
    """
    path = canvas.beginPath()
    for r, c, length in dark_runs(matrix):
        path.rect(x + c * module, y_top - (r + 1) * module, length * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
