"""A donor report as an A4 PDF a donor can forward. Data in, bytes out.

Built from a `DonorReport` alone, which holds aggregates and no personal data of any
household (rule 6 of docs/design.md): the PDF cannot name a household, its NIK or its phone.

Texts arrive translated: the caller passes `Formats` with its gettext and its date and
number formats (the documents import no Flask); the defaults are English and ISO dates.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

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

from kitlog.documents.pages import CountedPagesCanvas
from kitlog.documents.texts import Gettext, untranslated

if TYPE_CHECKING:  # the documents import no Flask, and kitlog.models brings Flask-SQLAlchemy
    from kitlog.services.reports import BatchFigures, BatchTotals, DonorReport

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
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
    return Paragraph(escape(text), _STYLES[style])


def render_donor_report(
    report: DonorReport, *, organisation: str, formats: Formats | None = None
) -> bytes:
    """The report as A4 pages: headline figures, the chart of deliveries against the
    target, batches, regions, batches nearing expiry and the reconciliation statement."""
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
            self.setFont(REGULAR, 7.5)
            self.setFillColor(MUTED)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            y = MARGIN - 2 * mm
            self.line(MARGIN, y + 9, A4[0] - MARGIN, y + 9)
            self.drawString(MARGIN, y, footer)
            self.drawRightString(A4[0] - MARGIN, y, page_of % {"page": page, "pages": pages})

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
    drawing = Drawing(WIDTH, height)
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


def _grid(
    header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], numeric: int
) -> Table:
    """A table: text columns first, then `numeric` right-aligned columns; the last row
    is a total when `rows` ends with one (bold, ruled)."""
    text_columns = len(header) - numeric
    data = [
        [_p(value, "head" if i < text_columns else "numhead") for i, value in enumerate(header)]
    ]
    for row in rows:
        data.append(
            [_p(value, "cell" if i < text_columns else "num") for i, value in enumerate(row)]
        )
    total = sum(widths)
    table = Table(data, colWidths=[WIDTH * w / total for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
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
        _("Batch"),
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
    rows = [
        [
            b.reference,
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
    widths = [23, 14, 19, 13, 14, 10, 14, 13, 14, 12, 14, 16]  # mm, for the headers' words
    flowables: list[Flowable] = [_total_style(_grid(header, rows, widths, numeric=9))]
    losses = [
        _("%(batch)s: %(kits)s kits, %(reason)s")
        % {"batch": b.reference, "kits": n(kits), "reason": f.reason(reason)}
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
        ]
    )
    table = _grid(header, rows, [2.2, 2.6, 1.2, 1.2, 1.2, 1.2, 1.3], numeric=5)
    return [
        _total_style(table),
        Spacer(1, 2 * mm),
        _p(
            _(
                "Households targeted: those with a parcel of the donor's kits that is not "
                "cancelled; reached: those whose parcel was delivered."
            ),
            "note",
        ),
    ]


def _expiring(report: DonorReport, f: Formats) -> Flowable:
    _ = f.gettext
    if not report.expiring:
        return _p(_("No batch with kits on hand is nearing its expiry date."))
    header = [_("Batch"), _("Kit type"), _("Warehouse"), _("Expires"), _("On hand")]
    rows = [
        [
            b.reference,
            b.kit_type,
            b.warehouse,
            f.date(b.expiry_date) if b.expiry_date else "–",
            f.number(b.on_hand),
        ]
        for b in report.expiring
    ]
    return _grid(header, rows, [2.2, 1.4, 1.4, 1.6, 1], numeric=1)


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
        *((b.reference, b) for b in bs),
        (_("All batches"), totals),
    ]
    data = [
        [
            _p(name, "equation"),
            _p(_equation(figures, f), "equation"),
            _p(_("reconciled"), "equation")
            if figures.reconciled
            else _p(_("DOES NOT ADD UP"), "alarm"),
        ]
        for name, figures in named
    ]
    table = Table(data, colWidths=[WIDTH * 0.16, WIDTH * 0.7, WIDTH * 0.14])
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
