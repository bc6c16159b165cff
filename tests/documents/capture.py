"""Label PDFs as a scanner meets them: printed at a printer's resolution, then read from
the print itself or from a phone's photo of it (blurred, JPEG-compressed, a little turned
and scaled), and decoded by zxing-cpp, the decoder inside the scan page's
barcode-detector polyfill. Shared by the scan-rate test and bench/qr_scan.py.

The phone sees the label at PHONE_PX_PER_MM camera pixels a millimetre (127 dpi): what a
640 × 480 video frame, the size a browser's camera gives the scan page unless asked for
more, makes of a label held about 12 cm from the lens. Blur is in those camera pixels.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageFilter

PHONE_PX_PER_MM = 5.0
OFFICE_DPI = 300  # an A4 laser or inkjet printer
THERMAL_DPI = 203  # a thermal label printer's head


@dataclass(frozen=True)
class Capture:
    """How a printed label reaches the decoder: the print itself (blur None), or a phone
    photo of it with a Gaussian blur of `blur` camera pixels."""

    name: str
    blur: float | None = None
    jpeg_quality: int = 70
    turn: tuple[float, float] = (3.0, 5.0)  # degrees, either way
    scale: tuple[float, float] = (0.95, 1.05)  # of PHONE_PX_PER_MM
    px_per_mm: float = PHONE_PX_PER_MM


PRINT = Capture("print")
PHONE = {sigma: Capture(f"phone σ{sigma}", blur=sigma) for sigma in (1.0, 1.5, 2.0)}


def printer_dpi(layout) -> int:
    """What a layout is printed at: a thermal head's dots, else an office printer's."""
    return THERMAL_DPI if layout.dot else OFFICE_DPI


def printed_labels(pdf: bytes, layout, dpi: int) -> Iterator[Image.Image]:
    """Each label of the PDF, in order, as the printer puts it on paper: the page
    rasterised at `dpi`, every dot inked or not, cut out along the label's edges."""
    px = dpi / 25.4
    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            inked = image.point(lambda v: 0 if v < 128 else 255)
            for left, top in layout.positions():
                box = (left, top, left + layout.label_width, top + layout.label_height)
                yield inked.crop(tuple(round(mm * px) for mm in box))
    finally:
        document.close()


def photograph(label: Image.Image, dpi: int, capture: Capture, rng: random.Random) -> Image.Image:
    """The printed label as the capture sees it (see Capture)."""
    if capture.blur is None:
        return label
    factor = capture.px_per_mm * rng.uniform(*capture.scale) / (dpi / 25.4)
    size = (max(1, round(label.width * factor)), max(1, round(label.height * factor)))
    image = label.resize(size, Image.Resampling.BILINEAR)
    framed = Image.new("L", (image.width + 24, image.height + 24), 255)
    framed.paste(image, (12, 12))
    angle = rng.choice((-1, 1)) * rng.uniform(*capture.turn)
    image = framed.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(capture.blur))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=capture.jpeg_quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def read_codes(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True)
class ScanResult:
    """Of `total` labels, how many read back as their own URL; which did not (their
    indexes); and any other text read."""

    total: int
    read: int
    missed: tuple[int, ...]
    wrong: tuple[str, ...]

    @property
    def rate(self) -> float:
        return self.read / self.total if self.total else 0.0


def scan(
    pdf: bytes,
    layout,
    urls: Sequence[str],
    capture: Capture,
    *,
    dpi: int | None = None,
    seed: int = 17,
) -> ScanResult:
    """Print the PDF (at `dpi`, else the layout's printer_dpi), capture every label of
    it, and count those that decode to their own URL (`urls`, in the labels' order)."""
    rng = random.Random(seed)
    dpi = dpi or printer_dpi(layout)
    missed, wrong = [], []
    printed = printed_labels(pdf, layout, dpi)  # a last page's empty places come last
    for index, (url, label) in enumerate(zip(urls, printed, strict=False)):
        texts = [code.text for code in read_codes(photograph(label, dpi, capture, rng))]
        if url not in texts:
            missed.append(index)
        wrong += [text for text in texts if text != url]
    return ScanResult(len(urls), len(urls) - len(missed), tuple(missed), tuple(wrong))
