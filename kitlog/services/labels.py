"""Label sheets for a round's parcels, and the label printers they are tuned for.

Which parcels: a round's parcels that are not cancelled, or a subset by status
(`allocated,packed`: the ones still in the warehouse) and by village. What each label
says: see kitlog.documents.labels. A label never carries the NIK or the phone; the head
of household's name only when the round shows it (`Round.show_head_name`): this module
does not even read those columns otherwise.

Labels come out grouped by village, then by household code, so that a village's parcels
leave the printer together.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kitlog.documents.labels import DEFAULT_LAYOUT, LAYOUTS, Label, Layout
from kitlog.documents.labels import render_labels as render_label_pdf
from kitlog.documents.labels import render_test_sheet as render_test_pdf
from kitlog.models import Household, LabelPrinter, Parcel, ParcelStatus, Round
from kitlog.services import audit
from kitlog.services.errors import Conflict, Duplicate, FieldError, InvalidValue, InvalidValues
from kitlog.services.parcel_codes import format_short_code

# Every status but cancelled: a cancelled parcel gets no label.
LABEL_STATUSES = tuple(s.value for s in ParcelStatus if s != ParcelStatus.CANCELLED)
# Parcels not yet on a truck: the reprint a warehouse needs most.
IN_WAREHOUSE = (ParcelStatus.ALLOCATED.value, ParcelStatus.PACKED.value)
MAX_PRINTER_NAME = 80
# One PDF is made within one request, which gunicorn cuts off after 30 s: at about 400
# labels a second on a small server, 6,000 labels take 15 s. A bigger choice is printed in
# parts of at most this many labels, in the same order (the labels page lists them), or
# village by village.
MAX_LABELS = 6000
LABELS_PER_SECOND = 400  # for the page's estimate of how long a PDF takes
MAX_OFFSET_MM = 20.0  # ck_label_printers_offset_*_range
MAX_PARTS = 10_000
SLUG_LENGTH = 40  # of a round's or a village's name in a label file's name


@dataclass(frozen=True)
class LabelSheet:
    """A label PDF and what it holds."""

    pdf: bytes
    labels: int
    pages: int
    layout: str
    filename: str
    names: int = 0  # labels that print the head of household's name


@dataclass(frozen=True)
class Selection:
    """Which of a round's parcels to label, and on what."""

    layout: Layout
    printer: LabelPrinter | None
    statuses: tuple[str, ...]
    village: str | None
    part: int | None = None  # 1, 2, ...: that part of MAX_LABELS labels; None: all

    @property
    def offset(self) -> tuple[float, float]:
        if self.printer is None:
            return 0.0, 0.0
        return self.printer.offset_x_mm, self.printer.offset_y_mm


# -- checking what was asked -----------------------------------------------------------------


def layout_named(name: str | None) -> Layout:
    """The layout of this name (the default when none); 422 naming `layout` otherwise."""
    layout = LAYOUTS.get(name or DEFAULT_LAYOUT)
    if layout is None:
        raise InvalidValue(
            _l(
                "%(value)s is not a label layout; use %(layouts)s.",
                value=str(name)[:40],
                layouts=", ".join(LAYOUTS),
            ),
            field="layout",
        )
    return layout


def label_statuses(values: Iterable[str] | None) -> tuple[str, ...]:
    """The statuses asked for (default: every status but cancelled); each unknown or
    cancelled one is named in a 422."""
    statuses = [v.strip().lower() for v in values or () if v and v.strip()]
    errors = [
        FieldError(
            "status",
            _l("Cancelled parcels get no label.")
            if value == ParcelStatus.CANCELLED
            else _l(
                "%(value)s is not a parcel status; use %(statuses)s.",
                value=value[:20],
                statuses=", ".join(LABEL_STATUSES),
            ),
        )
        for value in statuses
        if value not in LABEL_STATUSES
    ]
    if errors:
        raise InvalidValues(errors)
    return tuple(dict.fromkeys(statuses)) or LABEL_STATUSES


def select_labels(
    *,
    layout: str | None = None,
    printer: LabelPrinter | None = None,
    statuses: Iterable[str] | None = None,
    village: str | None = None,
    part: int | None = None,
) -> Selection:
    """Check a label request: a printer brings its layout and offsets; a layout named
    besides must be the printer's."""
    if printer is not None:
        if layout and layout != printer.layout:
            raise InvalidValue(
                _l(
                    "The printer %(name)s prints on %(layout)s labels.",
                    name=printer.name,
                    layout=printer.layout,
                ),
                field="layout",
            )
        layout = printer.layout
    return Selection(
        layout=layout_named(layout),
        printer=printer,
        statuses=label_statuses(statuses),
        village=(village or "").strip() or None,
        part=_part(part),
    )


def _part(value: int | str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_PARTS:
        raise InvalidValue(_l("Choose a part from the list."), field="part")
    return number


# -- which parcels -----------------------------------------------------------------------------


_PRINTING_ORDER = (Household.village, Household.code, Parcel.id)


Query = TypeVar("Query", bound="Select[*tuple[Any, ...]]")


def _matching(query: Query, round_: Round, selection: Selection) -> Query:
    query = query.where(Parcel.round_id == round_.id, Parcel.status.in_(selection.statuses))
    if selection.village:
        query = query.where(Household.village == selection.village)
    return query


def count_labels(session: Session, round: Round, selection: Selection) -> int:  # noqa: A002
    """How many labels the selection prints."""
    query = select(func.count()).select_from(Parcel).join(Household)
    return int(session.scalar(_matching(query, round, selection)) or 0)


def seconds_for(labels: int) -> int:
    """About how many seconds that many labels take to prepare (at least 1)."""
    return max(1, math.ceil(labels / LABELS_PER_SECOND))


def too_many(labels: int) -> Conflict:
    """The refusal of a choice of more than MAX_LABELS labels in one file."""
    return Conflict(
        _l(
            "%(count)s labels are too many for one file: print at most %(max)s at a time."
            " Print them in %(parts)s parts, or choose a village, or only the parcels still"
            " in the warehouse.",
            count=format_decimal(labels),
            max=format_decimal(MAX_LABELS),
            parts=format_decimal(parts_for(labels)),
        )
    )


def parts_for(labels: int) -> int:
    """How many files of at most MAX_LABELS labels that many labels take."""
    return math.ceil(labels / MAX_LABELS) if labels else 0


@dataclass(frozen=True)
class Part:
    """One file of a choice too big for one: labels `first` to `last` (1-based, in the
    printing order), from village `from_village` to `to_village`."""

    number: int
    first: int
    last: int
    from_village: str
    to_village: str

    @property
    def labels(self) -> int:
        return self.last - self.first + 1


def label_parts(
    session: Session,
    round: Round,  # noqa: A002
    selection: Selection,
    count: int,
) -> list[Part]:
    """The parts the choice's `count` labels print in, each with the villages it starts and
    ends with, in one query over the labels numbered in printing order."""
    edges = [_edges(index, count) for index in range(parts_for(count))]
    if not edges:
        return []
    numbered = _matching(
        select(
            Household.village.label("village"),
            func.row_number().over(order_by=_PRINTING_ORDER).label("n"),
        )
        .select_from(Parcel)
        .join(Household),
        round,
        selection,
    ).subquery()
    wanted = {n for pair in edges for n in pair}
    query = select(numbered.c.n, numbered.c.village).where(numbered.c.n.in_(wanted))
    villages = {row.n: row.village or "" for row in session.execute(query)}
    return [
        Part(number, first, last, villages.get(first, ""), villages.get(last, ""))
        for number, (first, last) in enumerate(edges, start=1)
    ]


def _edges(index: int, count: int) -> tuple[int, int]:
    return index * MAX_LABELS + 1, min(count, (index + 1) * MAX_LABELS)


def pages_for(selection: Selection, labels: int) -> int:
    """The sheets (or thermal labels) that many labels take."""
    return math.ceil(labels / selection.layout.per_page) if labels else 0


def file_slug(name: str) -> str:
    """A name as a file name may carry it: ASCII letters, digits and hyphens, so that
    sheets saved in one folder say which round and village they are ('Desa Sukamaju' →
    'desa-sukamaju')."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_LENGTH].rstrip("-") or "x"


def round_villages(session: Session, round: Round) -> list[str]:  # noqa: A002
    """The villages of the round's parcels that are not cancelled, A to Z."""
    query = (
        select(Household.village)
        .distinct()
        .join(Parcel, Parcel.household_id == Household.id)
        .where(Parcel.round_id == round.id, Parcel.status != ParcelStatus.CANCELLED)
        .order_by(Household.village)
    )
    return [village for village in session.scalars(query) if village]


def round_donors(round: Round) -> str:  # noqa: A002
    """The donor codes of the round's batches: KOICA, or KOICA, WFP."""
    return ", ".join(sorted({batch.donor.code for batch in round.batches}))


def round_labels(
    session: Session,
    round: Round,  # noqa: A002
    selection: Selection,
    *,
    base_url: str,
) -> list[Label]:
    """One label per selected parcel: village by village, then by household code.

    Reads only the columns a label prints (never the NIK or the phone; the head's name
    only when the round shows it), in one query."""
    columns = [Parcel.token, Parcel.short_code, Parcel.kits, Household.code, Household.village]
    show_head = bool(round.show_head_name)
    if show_head:
        columns.append(Household.head_name)
    query = _matching(select(*columns).join(Household), round, selection).order_by(*_PRINTING_ORDER)
    if selection.part is not None:
        query = query.offset((selection.part - 1) * MAX_LABELS).limit(MAX_LABELS)
    base = base_url.rstrip("/")
    donors = round_donors(round)
    kits_text: dict[int, str] = {}
    labels = []
    for row in session.execute(query):
        kits = row.kits
        if kits not in kits_text:
            kits_text[kits] = str(_ln("%(num)s kit", "%(num)s kits", kits))
        labels.append(
            Label(
                url=f"{base}/p/{row.token}",
                code=format_short_code(row.short_code),
                household=row.code,
                village=row.village or "",
                round_name=round.name,
                donor=donors,
                kits=kits_text[kits],
                head_name=row.head_name if show_head else None,
            )
        )
    return labels


def render_round_labels(
    session: Session,
    round: Round,  # noqa: A002
    selection: Selection,
    *,
    base_url: str,
    user: Any,
    address: str | None,
) -> LabelSheet:
    """The selected parcels' labels as a PDF; 409 when no parcel matches (an empty PDF
    would look like a printer fault), and when more than MAX_LABELS do (a PDF that
    outlasts the request's time limit never arrives). A sheet that names heads of
    households is logged in the audit log."""
    count = count_labels(session, round, selection)
    if count > MAX_LABELS and selection.part is None:
        raise too_many(count)
    if selection.part is not None and count and selection.part > parts_for(count):
        raise Conflict(
            _l(
                "These %(count)s labels print in %(parts)s parts: there is no part %(part)s.",
                count=format_decimal(count),
                parts=format_decimal(parts_for(count)),
                part=selection.part,
            )
        )
    labels = round_labels(session, round, selection, base_url=base_url)
    if not labels:
        raise Conflict(
            _l("No parcel of this round matches this choice: there are no labels to print.")
        )
    dx, dy = selection.offset
    pdf = render_label_pdf(
        labels,
        selection.layout,
        offset_x=dx,
        offset_y=dy,
        title=str(_l("Labels: %(round)s", round=round.name)),
    )
    names = sum(1 for label in labels if label.head_name)
    part = "" if selection.part is None else f"-part-{selection.part}-of-{parts_for(count)}"
    village = f"-{file_slug(selection.village)}" if selection.village else ""
    audit.printed_names(
        session,
        "labels",
        names=names,
        user=user,
        object_type="round",
        object_ref=round.id,
        address=address,
    )
    return LabelSheet(
        pdf=pdf,
        labels=len(labels),
        pages=pages_for(selection, len(labels)),
        layout=selection.layout.name,
        filename=(
            f"kitlog-labels-round-{round.id}-{file_slug(round.name)}{village}"
            f"-{selection.layout.name}{part}.pdf"
        ),
        names=names,
    )


# -- printers ----------------------------------------------------------------------------------


def printers(session: Session) -> list[LabelPrinter]:
    """Every saved label printer, A to Z."""
    return list(session.scalars(select(LabelPrinter).order_by(LabelPrinter.name)))


def _offset(value: str | float | None, field: str) -> float:
    try:
        number = float(value if value is not None else 0)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or abs(number) > MAX_OFFSET_MM:
        raise InvalidValue(
            _l("Enter a shift from -%(max)s to %(max)s mm.", max=int(MAX_OFFSET_MM)), field=field
        )
    return round(number, 1)


class _PrinterValues(TypedDict):
    name: str
    layout: str
    offset_x_mm: float
    offset_y_mm: float


def _printer_values(
    session: Session,
    printer: LabelPrinter | None,
    name: str | None,
    layout: str | None,
    offset_x_mm: str | float | None,
    offset_y_mm: str | float | None,
) -> _PrinterValues:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidValue(_l("This field is required."), field="name")
    if len(name) > MAX_PRINTER_NAME:
        raise InvalidValue(
            _l("Keep this under %(n)s characters.", n=MAX_PRINTER_NAME), field="name"
        )
    same_name = select(LabelPrinter.id).where(func.lower(LabelPrinter.name) == name.lower())
    if printer is not None:
        same_name = same_name.where(LabelPrinter.id != printer.id)
    if session.scalar(same_name) is not None:
        raise Duplicate(_l("A printer is already called %(name)s.", name=name), field="name")
    return {
        "name": name,
        "layout": layout_named(layout).name if layout else DEFAULT_LAYOUT,
        "offset_x_mm": _offset(offset_x_mm, "offset_x_mm"),
        "offset_y_mm": _offset(offset_y_mm, "offset_y_mm"),
    }


def create_printer(
    session: Session,
    *,
    name: str,
    layout: str,
    offset_x_mm: str | float | None = 0.0,
    offset_y_mm: str | float | None = 0.0,
) -> LabelPrinter:
    """A printer: a unique name, its layout, and how far it shifts the print (mm)."""
    printer = LabelPrinter(**_printer_values(session, None, name, layout, offset_x_mm, offset_y_mm))
    session.add(printer)
    session.flush()
    return printer


def update_printer(
    session: Session,
    printer: LabelPrinter,
    *,
    name: str,
    layout: str,
    offset_x_mm: str | float | None = 0.0,
    offset_y_mm: str | float | None = 0.0,
) -> LabelPrinter:
    """Rename a printer, or correct its layout or offsets after a test sheet."""
    for key, value in _printer_values(
        session, printer, name, layout, offset_x_mm, offset_y_mm
    ).items():
        setattr(printer, key, value)
    session.flush()
    return printer


def _signed(mm: float) -> str:
    return f"{mm:+.1f}"


def render_test_sheet(layout: Layout, printer: LabelPrinter | None = None) -> bytes:
    """A calibration sheet for a layout, shifted by the printer's offsets when given."""
    dx, dy = (printer.offset_x_mm, printer.offset_y_mm) if printer else (0.0, 0.0)
    heading = _l(
        "Test sheet %(layout)s · shift X %(x)s mm, Y %(y)s mm",
        layout=layout.name,
        x=_signed(dx),
        y=_signed(dy),
    )
    if printer is not None:
        heading = _l("%(printer)s: %(heading)s", printer=printer.name, heading=heading)
    lines = [
        str(heading),
        str(_l("Print at 100% (actual size, not “fit to page”), on plain paper.")),
        str(
            _l(
                "Hold it over a sheet of labels against the light and measure how far each"
                " cross must move to reach the centre of its label:"
            )
        ),
        str(
            _l(
                "right or down is +, left or up is −. Add that to the printer's shift, save"
                " it, and print this sheet again."
            )
        ),
    ]
    return render_test_pdf(
        layout, offset_x=dx, offset_y=dy, lines=lines, title=str(_l("Label test sheet"))
    )


__all__ = [
    "IN_WAREHOUSE",
    "LABEL_STATUSES",
    "LABELS_PER_SECOND",
    "MAX_LABELS",
    "LabelSheet",
    "Part",
    "Selection",
    "count_labels",
    "create_printer",
    "file_slug",
    "label_statuses",
    "label_parts",
    "layout_named",
    "pages_for",
    "parts_for",
    "printers",
    "render_round_labels",
    "render_test_sheet",
    "round_labels",
    "round_villages",
    "seconds_for",
    "select_labels",
    "too_many",
    "update_printer",
]
