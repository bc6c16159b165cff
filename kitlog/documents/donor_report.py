"""A donor report as an A4 PDF a donor can forward. Data in, bytes out.

Built from a `DonorReport` alone, which holds aggregates and no personal data of any
household (rule 6 of docs/design.md): the PDF cannot name a household, its NIK or its phone,
nor quote a feedback or a PDM comment (those are counts).

Texts arrive translated: the caller passes `Formats` with its gettext and its date and
number formats (the documents import no Flask); the defaults are English and ISO dates.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
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
    size_for_words,
    string_width,
    widest_word,
    wrap_words,
)
from kitlog.documents.pages import CountedPagesCanvas
from kitlog.documents.texts import Gettext, untranslated

if TYPE_CHECKING:  # the documents import no Flask, and kitlog.models brings Flask-SQLAlchemy
    from kitlog.services.reports import BatchFigures, BatchTotals, DonorReport

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#c9d1d9")
SHADE = colors.HexColor("#eef2f6")
ACCENT = colors.HexColor("#0b5cad")  # the cumulative line
TARGET = colors.HexColor("#c2410c")  # the target line
MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN


def _number(value: int) -> str:
    return f"{value:,}"


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _one_decimal(value: float) -> str:
    return f"{value:,.1f}"


def _iso_date(day: date) -> str:
    return day.isoformat()


def _iso_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# How a day and a moment are written; named here, since inside Formats the fields `date`
# and `datetime` hide the types.
DayFormat = Callable[[date], str]
MomentFormat = Callable[[datetime], str]


@dataclass(frozen=True)
class Formats:
    """The reader's language: gettext, and how dates and numbers are written."""

    gettext: Gettext = untranslated
    date: DayFormat = _iso_date
    short_date: DayFormat = _iso_date  # the chart's axis
    datetime: MomentFormat = _iso_time
    number: Callable[[int], str] = _number
    percent: Callable[[float], str] = _percent
    reason: Callable[[str], str] = untranslated  # a loss reason the system wrote, in words
    decimal: Callable[[float], str] = _one_decimal  # days, a mean: one decimal
    category: Callable[[str], str] = untranslated  # a feedback category's name

    def signed(self, value: int) -> str:
        """−3, 0, +2 (a true minus sign, for the adjustments)."""
        if value < 0:
            return "\u2212" + self.number(-value)
        return ("+" if value > 0 else "") + self.number(value)


_STYLES = {
    "title": ParagraphStyle("title", fontName=BOLD, fontSize=17, leading=21, textColor=INK),
    "subtitle": ParagraphStyle(
        "subtitle", fontName=REGULAR, fontSize=9.5, leading=13, textColor=MUTED
    ),
    "h2": ParagraphStyle(
        "h2", fontName=BOLD, fontSize=12, leading=15, textColor=INK, spaceBefore=10, spaceAfter=4
    ),
    "body": ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12, textColor=INK),
    "note": ParagraphStyle("note", fontName=REGULAR, fontSize=8, leading=10.5, textColor=MUTED),
    "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=7.5, leading=9, textColor=INK),
    "head": ParagraphStyle(
        "head", fontName=BOLD, fontSize=7.5, leading=9, textColor=INK, splitLongWords=0
    ),
    "num": ParagraphStyle(
        "num", fontName=REGULAR, fontSize=7.5, leading=9, textColor=INK, alignment=TA_RIGHT
    ),
    "numhead": ParagraphStyle(
        "numhead",
        fontName=BOLD,
        fontSize=7.5,
        leading=9,
        textColor=INK,
        alignment=TA_RIGHT,
        splitLongWords=0,
    ),
    "figure": ParagraphStyle("figure", fontName=BOLD, fontSize=18, leading=22, textColor=INK),
    "caption": ParagraphStyle("caption", fontName=REGULAR, fontSize=8, leading=10, textColor=MUTED),
    "equation": ParagraphStyle("eq", fontName=REGULAR, fontSize=8.5, leading=12, textColor=INK),
    "alarm": ParagraphStyle(
        "alarm", fontName=BOLD, fontSize=8.5, leading=12, textColor=colors.HexColor("#b91c1c")
    ),
}


def _p(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped: a donor called A&B stays A&B)."""
    return Paragraph(markup(text), _STYLES[style])


def render_donor_report(
    report: DonorReport, *, organisation: str, formats: Formats | None = None
) -> bytes:
    """The report as A4 pages: headline figures, the chart of deliveries against the
    target, batches, the reconciliation statement, regions, feedback and monitoring
    (counts), and batches nearing expiry."""
    f = formats or Formats()
    _ = f.gettext
    donor = report.donor
    title = _("Donor report: %(donor)s") % {"donor": donor.name}
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author=organisation,
        subject=_("Kits delivered and stock reconciliation"),
        creator="kitlog",
        initialFontName=REGULAR,  # else each page starts in Helvetica, never embedded
    )
    footer = _("%(organisation)s · %(donor)s · generated %(time)s") % {
        "organisation": organisation,
        "donor": donor.code,
        "time": f.datetime(report.generated_at),
    }
    story = [
        _p(title, "title"),
        Spacer(1, 2 * mm),
        _p(
            _("%(organisation)s · report of %(date)s · all quantities are kits")
            % {"organisation": organisation, "date": f.date(report.today)},
            "subtitle",
        ),
        Spacer(1, 5 * mm),
        _headline(report, f),
        Spacer(1, 2 * mm),
        _p(_("Deliveries over time"), "h2"),
        _chart(report, f),
        _p(
            _(
                "Days in %(zone)s; a kit counts on the day it was handed over (the phone's "
                "time when it was delivered offline)."
            )
            % {"zone": report.timezone},
            "caption",
        ),
        CondPageBreak(60 * mm),
        _p(_("Batches"), "h2"),
        *_batches(report, f),
        KeepTogether([_p(_("Reconciliation"), "h2"), *_reconciliation(report, f)]),
        CondPageBreak(50 * mm),
        _p(_("By province and regency"), "h2"),
        *_regions(report, f),
        CondPageBreak(60 * mm),
        _p(_("Feedback and monitoring"), "h2"),
        *_accountability(report, f),
        CondPageBreak(40 * mm),
        _p(_("Batches nearing expiry"), "h2"),
        _expiring(report, f),
    ]
    page_of = _("Page %(page)s of %(pages)s")
    document.build(story, canvasmaker=_numbered_canvas(footer, page_of))
    return buffer.getvalue()


def _numbered_canvas(footer: str, page_of: str) -> type[Canvas]:
    """A canvas whose every page carries the footer and "page X of Y"."""

    class NumberedCanvas(CountedPagesCanvas):
        def stamp(self, page: int, pages: int) -> None:
            self.setFillColor(MUTED)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            y = MARGIN - 2 * mm
            self.line(MARGIN, y + 9, A4[0] - MARGIN, y + 9)
            draw_string(self, MARGIN, y, footer, REGULAR, 7.5)
            numbered = page_of % {"page": page, "pages": pages}
            draw_string(self, A4[0] - MARGIN, y, numbered, REGULAR, 7.5, anchor="end")

    return NumberedCanvas


def _headline(report: DonorReport, f: Formats) -> Table:
    _ = f.gettext
    rate = report.success_rate
    attempted = report.parcels_delivered + report.parcels_failed
    cells = [
        (f.number(report.households_reached), _("households reached")),
        (f.number(report.people_reached), _("people reached")),
        (
            f.number(report.vulnerable_households_reached),
            _("vulnerable households reached"),
        ),
        (
            f.percent(rate) if rate is not None else "–",
            _("delivery success rate (%(delivered)s of %(attempted)s parcels)")
            % {"delivered": f.number(report.parcels_delivered), "attempted": f.number(attempted)}
            if rate is not None
            else _("delivery success rate (no delivery attempted yet)"),
        ),
        (
            f.number(report.totals.delivered),
            _("kits delivered of %(target)s pledged") % {"target": f.number(report.target)},
        ),
    ]
    row = [[_p(value, "figure"), _p(label, "caption")] for value, label in cells]
    table = Table([row], colWidths=[WIDTH / len(cells)] * len(cells))
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), SHADE),
                ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return table


def _chart(report: DonorReport, f: Formats) -> Drawing:
    """Cumulative kits delivered, a point per day with deliveries, against the target."""
    _ = f.gettext
    height = 62 * mm
    # initialFontName: else the drawing starts in Helvetica, which the PDF never embeds.
    drawing = Drawing(WIDTH, height, initialFontName=REGULAR)
    if not report.timeline:
        drawing.add(
            String(
                WIDTH / 2,
                height / 2,
                _("No kit has been delivered yet."),
                fontName=REGULAR,
                fontSize=10,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return drawing
    days = [day.date.toordinal() for day in report.timeline]
    # from the day before the first delivery (nothing delivered yet) to the report's day
    first, last = days[0] - 1, max(days[-1], report.today.toordinal())
    cumulative = [(x, day.cumulative) for x, day in zip(days, report.timeline, strict=True)]
    if last > days[-1]:
        cumulative.append((last, report.timeline[-1].cumulative))
    top = max(report.target, report.timeline[-1].cumulative, 1)

    plot = LinePlot()
    # reportlab places and sizes a chart in any number of points; its stubs say int.
    plot.x, plot.y = 14 * mm, 12 * mm  # type: ignore[assignment]
    plot.width, plot.height = WIDTH - 20 * mm, height - 24 * mm  # type: ignore[assignment]
    plot.data = [[(first, 0), *cumulative], [(first, report.target), (last, report.target)]]
    plot.lines[0].strokeColor = ACCENT
    plot.lines[0].strokeWidth = 1.8
    plot.lines[1].strokeColor = TARGET
    plot.lines[1].strokeWidth = 1.2
    plot.lines[1].strokeDashArray = [4, 3]
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = first, last
    plot.xValueAxis.valueSteps = _day_steps(first, last, 6)
    plot.xValueAxis.labelTextFormat = lambda x: f.short_date(date.fromordinal(int(x)))
    plot.xValueAxis.labels.fontName = REGULAR
    plot.xValueAxis.labels.fontSize = 7
    plot.xValueAxis.labels.fillColor = MUTED
    plot.xValueAxis.strokeColor = RULE
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax, plot.yValueAxis.valueSteps = _axis(top)
    plot.yValueAxis.labelTextFormat = lambda y: f.number(int(y))
    plot.yValueAxis.labels.fontName = REGULAR
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.labels.fillColor = MUTED
    plot.yValueAxis.strokeColor = RULE
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = SHADE
    drawing.add(plot)

    legend = Legend()
    # Points again, as for the plot: any number, where the stubs say int.
    legend.x, legend.y = 14 * mm, height - 3 * mm  # type: ignore[assignment]
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70 * mm  # type: ignore[assignment]  # points, as x and y
    legend.fontName, legend.fontSize = REGULAR, 7.5
    legend.dx, legend.dy = 10, 2
    legend.colorNamePairs = [
        (ACCENT, _("Kits delivered, cumulative")),
        (TARGET, _("Target: %(kits)s kits pledged") % {"kits": f.number(report.target)}),
    ]
    drawing.add(legend)
    return drawing


def _nice(value: float) -> int:
    """A round number at or above value: 1, 2, 2.5 or 5 times a power of ten."""
    power = 1
    while power * 10 <= value:
        power *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return max(int(step * power), 1)
    return 10 * power


def _axis(top: float, ticks: int = 5) -> tuple[int, list[int]]:
    """The value axis's maximum and its steps: round numbers, `top` a little below the end."""
    step = _nice(top * 1.05 / ticks)
    end = step * -(-int(top * 1.05) // step)
    return end, list(range(0, end + 1, step))


def _day_steps(first: int, last: int, ticks: int) -> list[int]:
    step = max(-(-(last - first) // ticks), 1)
    return list(range(first, last + 1, step))


# A table cell: its text, or a name with a detail under it in small type (a batch's lot
# and its agreement).
Cell = str | tuple[str, str]
PADDING = 3  # either side of a cell's text, in points
DETAIL_SIZE = 6.5  # a cell's detail line, in points (at the table's full size)


@dataclass(frozen=True)
class _Column:
    """What a column's texts need, in points at the table's full size: `least` its widest
    word, `whole` that or its widest cell on one line (a lot, a date, a number), `most`
    every text on one line, its header and the cells' details too."""

    least: float
    whole: float
    most: float


def _measure(
    header: str, cells: Sequence[Cell], head: ParagraphStyle, body: ParagraphStyle
) -> _Column:
    least = widest_word(header, head.fontName, head.fontSize)
    whole = 0.0
    most = string_width(header, head.fontName, head.fontSize)
    for cell in cells:
        text, detail = cell if isinstance(cell, tuple) else (cell, "")
        least = max(least, widest_word(text, body.fontName, body.fontSize))
        whole = max(whole, string_width(text, body.fontName, body.fontSize))
        if detail:  # may wrap, like a header
            least = max(least, widest_word(detail, REGULAR, DETAIL_SIZE))
            most = max(most, string_width(detail, REGULAR, DETAIL_SIZE))
    whole = max(least, whole)
    return _Column(least, whole, max(whole, most))


SMALLEST_SCALE = 0.85  # how much smaller a table's type may get to keep its cells whole


def _fill(low: Sequence[float], high: Sequence[float], room: float) -> list[float]:
    """Widths from `low` towards `high` within `room`: every column that fits under a
    common cap gets all it wants, the widest ones are capped alike (never below `low`)."""
    if sum(high) <= room:
        return list(high)
    below, above = 0.0, max(high)
    for _ in range(40):  # the cap, by bisection: the widths grow with it
        cap = (below + above) / 2
        if sum(max(lo, min(hi, cap)) for lo, hi in zip(low, high, strict=True)) > room:
            above = cap
        else:
            below = cap
    return [max(lo, min(hi, below)) for lo, hi in zip(low, high, strict=True)]


def _layout(columns: Sequence[_Column], width: float) -> tuple[list[float], float]:
    """Each column's width (points, padding included) and the scale of the table's type,
    much as a browser lays out a table: every word fits its column, so no word is ever
    cut; then, in type up to 15 % smaller if need be, every cell's text on one line (a
    column whose text is too long for that wraps alone); then the headers and details on
    one line, as far as they fit; the room left is shared in proportion. When even the
    widest words do not fit side by side, the type is made as small as that takes."""
    room = width - 2 * PADDING * len(columns)
    least = sum(c.least for c in columns)
    whole = sum(c.whole for c in columns)
    if whole <= room:
        scale = 1.0
    elif whole * SMALLEST_SCALE <= room:
        scale = room / whole * 0.999
    else:
        scale = min(1.0, room / least * 0.999)
    widths = _fill([c.least * scale for c in columns], [c.whole * scale for c in columns], room)
    widths = _fill(widths, [c.most * scale for c in columns], room)
    spare = room - sum(widths)
    if spare > 0:
        total = sum(widths) or 1.0
        widths = [w + spare * w / total for w in widths]
    return [w + 2 * PADDING for w in widths], scale


def _sized(style: ParagraphStyle, scale: float) -> ParagraphStyle:
    if scale == 1:
        return style
    return ParagraphStyle(
        f"{style.name}-{scale:.3f}",
        parent=style,
        fontSize=style.fontSize * scale,
        leading=style.leading * scale,
    )


def _lines(cell: Cell, style: ParagraphStyle, room: float, scale: float) -> Paragraph:
    """A cell's text broken into lines that fit `room` points, at spaces, hyphens or
    slashes and never inside a word (kitlog.documents.fonts.wrap_words); its detail
    under it, small and muted."""
    text, detail = cell if isinstance(cell, tuple) else (cell, "")
    size = size_for_words(text, style.fontName, style.fontSize, room, style.fontSize * 0.6)
    lines = [markup(line) for line in wrap_words(text, style.fontName, size, room)]
    if size != style.fontSize:
        lines = [f'<font size="{size:.2f}">{line}</font>' for line in lines]
    if detail:
        small = DETAIL_SIZE * scale
        lines += [
            f'<font size="{small:.2f}" color="#5f6b7a">{markup(line)}</font>'
            for line in wrap_words(detail, REGULAR, small, room)
        ]
    return Paragraph("<br/>".join(lines), style)


def _grid(header: Sequence[str], rows: Sequence[Sequence[Cell]], numeric: int) -> Table:
    """A table: text columns first, then `numeric` right-aligned columns; the last row
    is a total when `rows` ends with one (bold, ruled). Its columns are as wide as their
    words need (`_layout`): a header never runs into the next one, and a batch's name is
    never cut inside a word."""
    text_columns = len(header) - numeric
    styles = [
        (_STYLES["head"], _STYLES["cell"])
        if i < text_columns
        else (_STYLES["numhead"], _STYLES["num"])
        for i in range(len(header))
    ]
    columns = [
        _measure(title, [row[i] for row in rows], *styles[i]) for i, title in enumerate(header)
    ]
    widths, scale = _layout(columns, WIDTH)
    sized = [(_sized(head, scale), _sized(body, scale)) for head, body in styles]
    rooms = [w - 2 * PADDING for w in widths]
    data = [[_lines(title, sized[i][0], rooms[i], scale) for i, title in enumerate(header)]]
    for row in rows:
        data.append([_lines(cell, sized[i][1], rooms[i], scale) for i, cell in enumerate(row)])
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                ("VALIGN", (0, 1), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
            ]
        )
    )
    return table


def _total_style(table: Table) -> Table:
    table.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
                ("BACKGROUND", (0, -1), (-1, -1), SHADE),
            ]
        )
    )
    return table


def _batches(report: DonorReport, f: Formats) -> list[Flowable]:
    _ = f.gettext
    if not report.batches:
        return [_p(_("This donor has no batch yet."))]
    n = f.number
    header = [
        _("Lot"),
        _("Kit type"),
        _("Expires"),
        _("Pledged"),
        _("Received"),
        _("Lost"),
        _("Adjusted"),
        _("On hand"),
        _("of which reserved"),
        _("In transit"),
        _("Delivered"),
        _("Households"),
    ]
    # A batch is named by its lot everywhere (the page, the spreadsheets): its agreement,
    # which several batches may share, is a detail under it.
    rows: list[list[Cell]] = [
        [
            (b.lot, _("agreement %(reference)s") % {"reference": b.reference}),
            b.kit_type,
            f.date(b.expiry_date) if b.expiry_date else "–",
            n(b.pledged),
            n(b.received),
            n(b.lost),
            f.signed(b.adjusted),
            n(b.on_hand),
            n(b.reserved),
            n(b.in_transit),
            n(b.delivered),
            n(b.households_reached),
        ]
        for b in report.batches
    ]
    bs, total = report.batches, report.totals
    rows.append(
        [
            _("Total"),
            "",
            "",
            n(total.pledged),
            n(total.received),
            n(total.lost),
            f.signed(total.adjusted),
            n(total.on_hand),
            n(total.reserved),
            n(total.in_transit),
            n(total.delivered),
            n(report.households_reached),
        ]
    )
    flowables: list[Flowable] = [_total_style(_grid(header, rows, numeric=9))]
    losses = [
        _("%(batch)s: %(kits)s kits, %(reason)s")
        % {"batch": b.lot, "kits": n(kits), "reason": f.reason(reason)}
        for b in bs
        for reason, kits in b.lost_by_reason.items()
    ]
    if losses:
        flowables += [Spacer(1, 2 * mm), _p(_("Losses: ") + "; ".join(losses) + ".", "note")]
    flowables.append(
        _p(
            _(
                "Households: the households that received a kit of the batch; the total "
                "counts each household once."
            ),
            "note",
        )
    )
    return flowables


def _regions(report: DonorReport, f: Formats) -> list[Flowable]:
    _ = f.gettext
    if not report.by_region:
        return [_p(_("No kit has been delivered yet."))]
    n = f.number
    header = [
        _("Province"),
        _("Regency"),
        _("Kits delivered"),
        _("Households targeted"),
        _("Households reached"),
        _("People reached"),
        _("Vulnerable households"),
        _("Delivered to a collector"),
    ]
    regions = report.by_region
    rows = [
        [
            r.province,
            r.regency,
            n(r.delivered),
            n(r.households_targeted),
            n(r.households_reached),
            n(r.people_reached),
            n(r.vulnerable_households_reached),
            n(r.delivered_to_collector),
        ]
        for r in regions
    ]
    total = report.region_totals
    rows.append(
        [
            _("Total"),
            "",
            n(total.delivered),
            n(total.households_targeted),
            n(total.households_reached),
            n(total.people_reached),
            n(total.vulnerable_households_reached),
            n(total.delivered_to_collector),
        ]
    )
    table = _grid(header, rows, numeric=6)
    return [
        _total_style(table),
        Spacer(1, 2 * mm),
        _p(
            _(
                "Households targeted: those with a parcel of the donor's kits that is not "
                "cancelled; reached: those whose parcel was delivered."
            )
            + " "
            + _(
                "Delivered to a collector: parcels that a person named by the household "
                "collected for it."
            ),
            "note",
        ),
    ]


def _accountability(report: DonorReport, f: Formats) -> list[Flowable]:
    """Feedback by category and the PDM figures: counts, a rate and a mean, never a word
    that a household or an officer wrote."""
    _ = f.gettext
    n = f.number
    feedback = report.feedback

    def days(value: float | None) -> str:
        return f.decimal(value) if value is not None else "–"

    header = [_("Category"), _("Received"), _("Resolved"), _("Median days to resolve")]
    rows: list[list[Cell]] = [
        [f.category(c.category), n(c.received), n(c.resolved), days(c.median_days_to_resolve)]
        for c in feedback.by_category
    ]
    rows.append(
        [
            _("Total"),
            n(feedback.received),
            n(feedback.resolved),
            days(feedback.median_days_to_resolve),
        ]
    )
    pdm = report.pdm
    if pdm.responses and pdm.complete_rate is not None and pdm.satisfaction_mean is not None:
        monitoring = _(
            "Post-distribution monitoring: %(responses)s responses; %(complete)s received "
            "the parcel complete; mean satisfaction %(mean)s of 5."
        ) % {
            "responses": n(pdm.responses),
            "complete": f.percent(pdm.complete_rate),
            "mean": f.decimal(pdm.satisfaction_mean),
        }
    else:
        monitoring = _("Post-distribution monitoring: no response yet.")
    return [
        _total_style(_grid(header, rows, numeric=3)),
        Spacer(1, 2 * mm),
        _p(monitoring, "body"),
        Spacer(1, 1.5 * mm),
        _p(
            _(
                "Counts only: no feedback's or comment's words. Feedback counts for the donor "
                "when it is about a parcel of the donor's kits or, naming no parcel, comes "
                "from a household with such a parcel; other feedback is no donor's. "
                "Sensitive feedback and complaints about staff conduct are counted, never "
                "quoted. Resolved: resolved or closed."
            ),
            "note",
        ),
    ]


def _expiring(report: DonorReport, f: Formats) -> Flowable:
    _ = f.gettext
    if not report.expiring:
        return _p(_("No batch with kits on hand is nearing its expiry date."))
    header = [_("Lot"), _("Kit type"), _("Warehouse"), _("Expires"), _("On hand")]
    rows: list[list[Cell]] = [
        [
            b.lot,
            b.kit_type,
            b.warehouse,
            f.date(b.expiry_date) if b.expiry_date else "–",
            f.number(b.on_hand),
        ]
        for b in report.expiring
    ]
    return _grid(header, rows, numeric=1)


def _equation(b: BatchFigures | BatchTotals, f: Formats) -> str:
    _ = f.gettext
    n = f.number
    return _(
        "%(received)s received %(adjusted)s adjusted = %(lost)s lost + %(on_hand)s on hand "
        "+ %(in_transit)s in transit + %(delivered)s delivered"
    ) % {
        "received": n(b.received),
        "adjusted": ("\u2212 " + n(-b.adjusted)) if b.adjusted < 0 else "+ " + n(b.adjusted),
        "lost": n(b.lost),
        "on_hand": n(b.on_hand),
        "in_transit": n(b.in_transit),
        "delivered": n(b.delivered),
    }


def _reconciliation(report: DonorReport, f: Formats) -> list[Flowable]:
    """The equation with each batch's numbers, and the whole donor's."""
    _ = f.gettext
    bs, totals = report.batches, report.totals
    flowables: list[Flowable] = [
        _p(
            _(
                "Every kit received is accounted for: received + adjusted = lost + on hand "
                "+ in transit + delivered, for each batch (reserved kits are part of on hand)."
            ),
            "note",
        ),
        Spacer(1, 1.5 * mm),
    ]
    named: list[tuple[str, BatchFigures | BatchTotals]] = [
        *((b.lot, b) for b in bs),
        (_("All batches"), totals),
    ]
    style = _STYLES["equation"]
    # The names' column: as wide as the longest name, within bounds; a name wider than
    # that breaks at a hyphen or a slash, or is set smaller, never cut inside a word.
    longest = max(string_width(name, style.fontName, style.fontSize) for name, _f in named)
    name_width = min(max(longest + 12, WIDTH * 0.14), WIDTH * 0.3)
    widths = [name_width, WIDTH * 0.86 - name_width, WIDTH * 0.14]
    data = [
        [
            _lines(name, style, name_width - 12, 1.0),
            _p(_equation(figures, f), "equation"),
            _p(_("reconciled"), "equation")
            if figures.reconciled
            else _p(_("DOES NOT ADD UP"), "alarm"),
        ]
        for name, figures in named
    ]
    table = Table(data, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, INK),
                ("BACKGROUND", (0, -1), (-1, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    flowables.append(table)
    verdict = (
        _("Every batch reconciles to the last kit.")
        if report.reconciled
        else _("At least one batch does not reconcile: the ledger needs checking.")
    )
    flowables += [Spacer(1, 2 * mm), _p(verdict, "body")]
    return flowables
