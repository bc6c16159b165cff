"""A manifest (waybill) as A4 pages a driver and a village head can sign. Data in, bytes out.

The pages carry the organisation, donors, rounds and the manifest's number, always on one
line; the trip (date, origin, destination, vehicle, driver) and the manifest's note, which
is how delivery instructions reach the driver; a table of parcels (short code, household
code, village, head of household unless names are hidden, kits and a column to tick or
sign) whose header repeats on every page; the totals; signature blocks for the dispatcher,
the driver and the receiver, which never stand alone on the last page: the last rows and
the totals go with them; "page X of Y" on every page; and a QR code of the manifest's own
page, which opens it for receiving and closing. A void manifest is watermarked VOID.

The data holds no NIK and no phone of any household: the document cannot print them.
Its words are translated by the caller's `gettext` (English without one): no Flask here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kitlog.documents.fonts import (
    BOLD,
    REGULAR,
    draw_string,
    markup,
    needs_fallback,
    size_for_words,
    string_width,
)
from kitlog.documents.pages import CountedPagesCanvas
from kitlog.documents.qr import QUIET_ZONE, draw_qr, qr_matrix
from kitlog.documents.texts import Gettext, untranslated

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#9aa5b1")
SHADE = colors.HexColor("#eef2f6")
VOID_INK = colors.Color(0.75, 0.1, 0.1, alpha=0.22)
MARGIN = 14 * mm
WIDTH = A4[0] - 2 * MARGIN
QR_SIZE = 30 * mm  # the symbol with its quiet zone
CODE_SIZE = 9  # a parcel's short code in the table, in points
NUMBER_SIZE = 22  # the manifest's number under the title, in points
FOOTER = 9 * mm
FOOTER_SIZE = 8
# The last parcels printed on the page that carries the totals and the signatures: a page
# of signatures alone could be signed for any list of parcels.
KEPT_WITH_SIGNATURES = 3
NUMBER_PADDING = 3  # either side of a row's number, in points: "1000" fits on one line


@dataclass(frozen=True)
class _Texts:
    """Every word the pages print, in the reader's language."""

    title: str
    number: str
    organisation: str
    donors: str
    rounds: str
    date: str
    origin: str
    destination: str
    vehicle: str
    driver: str
    driver_phone: str
    status: str
    note: str
    parcels: str
    row: str
    parcel: str
    household: str
    village: str
    head: str
    kits: str
    received: str
    totals: str
    weight: str
    volume: str
    provisional: str
    dispatcher_block: str
    driver_block: str
    receiver_block: str
    name: str
    signature: str
    signed_on: str
    page: str
    void: str
    void_reason: str
    scan_hint: str
    remarks: str
    no_parcels: str


def _texts(_: Gettext) -> _Texts:
    return _Texts(
        title=_("Delivery manifest (waybill)"),
        number=_("Manifest no."),
        organisation=_("Organisation"),
        donors=_("Donor"),
        rounds=_("Round"),
        date=_("Date"),
        origin=_("From (warehouse)"),
        destination=_("Destination"),
        vehicle=_("Vehicle"),
        driver=_("Driver"),
        driver_phone=_("Driver's phone"),
        status=_("Status"),
        note=_("Note"),
        parcels=_("Parcels"),
        row=_("No."),
        parcel=_("Parcel"),
        household=_("Household"),
        village=_("Village"),
        head=_("Head of household"),
        kits=_("Kits"),
        received=_("Received (tick or sign)"),
        totals=_("Totals"),
        weight=_("Weight"),
        volume=_("Volume"),
        provisional=_("Provisional: the manifest has not been dispatched yet."),
        dispatcher_block=_("Dispatched by"),
        driver_block=_("Carried by (driver)"),
        receiver_block=_("Received by (village head)"),
        name=_("Name"),
        signature=_("Signature"),
        signed_on=_("Date"),
        page=_("Page %(page)s of %(pages)s"),
        void=_("VOID"),
        void_reason=_("Cancelled: %(reason)s"),
        scan_hint=_("Scan to open this manifest for receiving."),
        remarks=_("Remarks (short, damaged, refused):"),
        no_parcels=_("No parcel is on this manifest."),
    )


@dataclass(frozen=True)
class ManifestRow:
    """One parcel on the manifest: never the household's NIK or phone."""

    short_code: str
    household_code: str
    village: str
    head_name: str
    kits: int


@dataclass(frozen=True)
class ManifestDocument:
    """What the manifest pages print; strings already formatted for the reader."""

    organisation: str
    number: str
    url: str  # the QR code: <KITLOG_BASE_URL>/manifests/<id>
    date: str
    origin: str
    destination: str
    vehicle: str
    driver_name: str
    driver_phone: str
    status: str
    donors: list[str] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)
    rows: list[ManifestRow] = field(default_factory=list)
    kits_total: str = "0"
    weight: str = ""
    volume: str = ""
    provisional: bool = False
    void: bool = False
    void_reason: str = ""
    dispatcher_name: str = ""
    note: str = ""  # the manifest's note: delivery instructions for the driver
    heads: bool = True  # the head-of-household column: left out when names are hidden


def _style(
    name: str, size: float = 9, font: str = REGULAR, *, space_before: float = 0
) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=font,
        fontSize=size,
        leading=size * 1.25,
        textColor=INK,
        spaceBefore=space_before,
    )


BODY = _style("body")
SMALL = _style("small", 8)
LABEL = _style("label", 7.5)
CELL = _style("cell", 8.5)
CELL_BOLD = _style("cell-bold", 8.5, BOLD)
HEAD = _style("head", 8, BOLD)
TITLE = _style("title", 15, BOLD)
ORG = _style("org", 10, BOLD)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(markup(text or ""), style)


def _label_value(label: str, value: str) -> Paragraph:
    lines = "<br/>".join(markup(line) for line in (value or "–").splitlines())
    return Paragraph(f'<font size="7" color="#5f6b7a">{markup(label)}</font><br/>{lines}', CELL)


def _one_line_size(text: str, font: str, size: float, room: float) -> float:
    """The largest font size up to `size` that fits `text` on one line `room` points wide."""
    width = string_width(text, font, size)
    return size if width <= room else size * room / width


def _number(number: str, room: float) -> Paragraph:
    """The manifest's number on one line, smaller when a long warehouse code needs it: a
    number broken at one of its hyphens reads as two numbers."""
    size = _one_line_size(number, BOLD, NUMBER_SIZE, room)
    return Paragraph(markup(number), _style("number", size, BOLD, space_before=2))


class _Pages(CountedPagesCanvas):
    """Stamps every page with "page X of Y", the manifest's number and, when void, the
    watermark."""

    def __init__(
        self, *args: Any, document: ManifestDocument, texts: _Texts, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._document = document
        self._texts = texts

    def stamp(self, page: int, pages: int) -> None:
        doc, texts = self._document, self._texts
        width, _height = A4
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, FOOTER + 4 * mm, width - MARGIN, FOOTER + 4 * mm)
        self.setFillColor(MUTED)
        numbered = texts.page % {"page": page, "pages": pages}
        name = f"{doc.organisation} · {texts.number} {doc.number}"
        room = WIDTH - string_width(numbered, BOLD, FOOTER_SIZE) - 6 * mm
        size = _one_line_size(name, REGULAR, FOOTER_SIZE, room)
        draw_string(self, MARGIN, FOOTER, name, REGULAR, size)
        draw_string(self, width - MARGIN, FOOTER, numbered, BOLD, FOOTER_SIZE, anchor="end")
        self.restoreState()
        if doc.void:
            self.saveState()
            self.setFillColor(VOID_INK)
            self.translate(width / 2, A4[1] / 2)
            self.rotate(40)
            draw_string(self, 0, -45, texts.void, BOLD, 130, anchor="middle")
            self.restoreState()


def _header(doc: ManifestDocument, texts: _Texts) -> list[Flowable]:
    left_width = WIDTH - QR_SIZE - 4 * mm
    left: list[Flowable] = [
        _p(doc.organisation, ORG),
        Spacer(1, 1 * mm),
        _p(texts.title, TITLE),
        Spacer(1, 2 * mm),
        _p(texts.number, LABEL),
        _number(doc.number, left_width - 1),
    ]
    if doc.void:
        left.append(_p(texts.void_reason % {"reason": doc.void_reason or texts.void}, CELL_BOLD))
    qr = _QrFlowable(doc.url, texts.scan_hint)
    top = Table([[left, qr]], colWidths=[left_width, QR_SIZE + 4 * mm])
    top.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    facts: list[list[Paragraph | str]] = [
        [
            _label_value(texts.donors, ", ".join(doc.donors)),
            _label_value(texts.rounds, ", ".join(doc.rounds)),
            _label_value(texts.date, doc.date),
        ],
        [
            _label_value(texts.origin, doc.origin),
            _label_value(texts.destination, doc.destination),
            _label_value(texts.status, doc.status),
        ],
        [
            _label_value(texts.vehicle, doc.vehicle),
            _label_value(texts.driver, doc.driver_name),
            _label_value(texts.driver_phone, doc.driver_phone),
        ],
    ]
    note = doc.note.strip()
    if note:
        facts.append([_label_value(texts.note, note), "", ""])
    table = Table(facts, colWidths=[WIDTH / 3] * 3)
    style = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
    )
    if note:
        style.add("SPAN", (0, -1), (-1, -1))
    table.setStyle(style)
    return [top, Spacer(1, 3 * mm), table, Spacer(1, 5 * mm)]


class _QrFlowable(Table):
    """The QR code of the manifest's page with a line under it."""

    def __init__(self, url: str, hint: str) -> None:
        self._matrix = qr_matrix(url, "M")
        super().__init__(
            [[_Square(self._matrix)], [Paragraph(markup(hint), _style("hint", 6.5))]],
            colWidths=[QR_SIZE + 4 * mm],
        )
        self.setStyle(
            TableStyle(
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 2 * mm),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )


class _Square(Table):
    def __init__(self, matrix: list[list[bool]]) -> None:
        super().__init__([[""]], colWidths=[QR_SIZE], rowHeights=[QR_SIZE])
        self._matrix = matrix

    def draw(self) -> None:
        modules = len(self._matrix) + 2 * QUIET_ZONE
        module = QR_SIZE / modules
        self.canv.setFillColor(colors.black)
        draw_qr(
            self.canv,
            self._matrix,
            QUIET_ZONE * module,
            QR_SIZE - QUIET_ZONE * module,
            module,
        )


_Cell = str | Paragraph | list[Flowable]


def _parcels(doc: ManifestDocument, texts: _Texts, end: list[Flowable]) -> list[Flowable]:
    """The table of parcels, and `end` (the totals and the signatures) as its last row,
    which cannot be split from the last rows before it: the table breaks a page earlier
    rather than leave the signatures alone on the last page."""
    columns: list[tuple[str, float]] = [
        (texts.row, 9 * mm),
        (texts.parcel, 29 * mm),
        (texts.household, 23 * mm),
        (texts.village, 39 * mm if doc.heads else 59 * mm),
    ]
    if doc.heads:
        columns.append((texts.head, 40 * mm))
    columns.append((texts.kits, 10 * mm))
    widths = [width for _title, width in columns]
    widths.append(WIDTH - sum(widths))
    header: list[_Cell] = [_p(title, HEAD) for title, _w in columns]
    header.append(_p(texts.received, HEAD))
    kits = len(columns) - 1
    # Text that fits on one line is a plain string drawn in the body's font (the style
    # below); only text that must wrap becomes a Paragraph, which costs far more to lay
    # out: a 1,000-parcel manifest has 5,000 such cells.
    rooms = [width - 12 for width in widths]  # the cell's default padding: 6 pt each side
    rooms[0] = widths[0] - 2 * NUMBER_PADDING

    def cell(text: str, column: int) -> str | Paragraph:
        if (
            "\n" not in text
            and string_width(text, REGULAR, CELL.fontSize) <= rooms[column]
            and not needs_fallback(text)
        ):
            return text
        # A word wider than the column is set smaller rather than cut.
        size = size_for_words(text, REGULAR, CELL.fontSize, rooms[column], 6)
        if size < CELL.fontSize:
            return Paragraph(f'<font size="{size:.2f}">{markup(text)}</font>', CELL)
        return _p(text, CELL)

    rows = [header]
    for n, row in enumerate(doc.rows, start=1):
        cells: list[_Cell] = [
            cell(str(n), 0),
            row.short_code,  # a plain string: a code never wraps (it shrinks, below)
            cell(row.household_code, 2),
            cell(row.village, 3),
        ]
        if doc.heads:
            cells.append(cell(row.head_name, 4))
        cells += [cell(str(row.kits), kits), ""]
        rows.append(cells)
    if not doc.rows:
        end = [_p(texts.no_parcels, CELL), *end]
    rows.append([end, *[""] * (len(widths) - 1)])
    last = len(rows) - 1
    table = Table(rows, colWidths=widths, repeatRows=1)
    code_room = rooms[1]
    style = TableStyle(
        [
            ("FONTNAME", (0, 1), (-1, -1), REGULAR),
            ("FONTSIZE", (0, 1), (-1, -1), CELL.fontSize),
            ("LEADING", (0, 1), (-1, -1), CELL.leading),
            ("TEXTCOLOR", (0, 1), (-1, -1), INK),
            ("FONTNAME", (1, 1), (1, -1), BOLD),
            ("FONTSIZE", (1, 1), (1, -1), CODE_SIZE),
            ("TEXTCOLOR", (1, 1), (1, -1), INK),
            ("GRID", (0, 0), (-1, last - 1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 1), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 5),
            ("ALIGN", (kits, 0), (kits, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (0, last - 1), NUMBER_PADDING),
            ("RIGHTPADDING", (0, 0), (0, last - 1), NUMBER_PADDING),
            ("SPAN", (0, last), (-1, last)),
            ("VALIGN", (0, last), (-1, last), "TOP"),
            ("LEFTPADDING", (0, last), (-1, last), 0),
            ("RIGHTPADDING", (0, last), (-1, last), 0),
            ("BOTTOMPADDING", (0, last), (-1, last), 0),
            ("NOSPLIT", (0, max(1, last - KEPT_WITH_SIGNATURES)), (-1, last)),
        ]
    )
    for n, row in enumerate(doc.rows, start=1):  # a wide code shrinks to fit its cell
        width = string_width(row.short_code, BOLD, CODE_SIZE)
        if width > code_room:
            style.add("FONTSIZE", (1, n), (1, n), CODE_SIZE * code_room / width)
    table.setStyle(style)
    return [
        _p(f"{texts.parcels} ({len(doc.rows)})", HEAD),
        Spacer(1, 1.5 * mm),
        table,
    ]


def _totals(doc: ManifestDocument, texts: _Texts) -> list[Flowable]:
    table = Table(
        [
            [
                _label_value(texts.kits, doc.kits_total),
                _label_value(texts.weight, doc.weight),
                _label_value(texts.volume, doc.volume),
            ]
        ],
        colWidths=[WIDTH / 3] * 3,
    )
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1, INK),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    flow: list[Flowable] = [_p(texts.totals, HEAD), Spacer(1, 1.5 * mm), table]
    if doc.provisional:
        flow += [Spacer(1, 1 * mm), _p(texts.provisional, CELL_BOLD)]
    return flow


def _signatures(doc: ManifestDocument, texts: _Texts) -> list[Flowable]:

    def block(title: str, name: str = "") -> list[Flowable]:
        lines = Table(
            [
                [_p(texts.name, LABEL), _p(name, CELL)],
                [_p(texts.signature, LABEL), ""],
                [_p(texts.signed_on, LABEL), ""],
            ],
            colWidths=[18 * mm, WIDTH / 3 - 24 * mm],
            rowHeights=[9 * mm, 15 * mm, 9 * mm],
        )
        lines.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (1, 0), (1, -1), 0.5, INK),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return [_p(title, HEAD), Spacer(1, 1 * mm), lines]

    table = Table(
        [
            [
                block(texts.dispatcher_block, doc.dispatcher_name),
                block(texts.driver_block, doc.driver_name),
                block(texts.receiver_block),
            ]
        ],
        colWidths=[WIDTH / 3] * 3,
    )
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [_p(texts.remarks, CELL), Spacer(1, 12 * mm), table]


def render_manifest(doc: ManifestDocument, *, gettext: Gettext = untranslated) -> bytes:
    """The manifest's A4 pages as a PDF, in the language of `gettext`."""
    texts = _texts(gettext)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOTER + 9 * mm,
        title=f"{texts.title} {doc.number}",
        author=doc.organisation,
        subject=doc.number,
        initialFontName=REGULAR,  # else each page starts in Helvetica, never embedded
    )
    end = [Spacer(1, 5 * mm), *_totals(doc, texts), Spacer(1, 6 * mm), *_signatures(doc, texts)]
    story = [*_header(doc, texts), *_parcels(doc, texts, end)]
    template.build(story, canvasmaker=lambda *a, **k: _Pages(*a, document=doc, texts=texts, **k))
    return buffer.getvalue()


__all__ = ["ManifestDocument", "ManifestRow", "render_manifest"]
