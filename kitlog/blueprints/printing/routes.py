"""Label sheets for a round's parcels, and the label printers they are tuned for."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.printing import bp
from kitlog.blueprints.printing.forms import (
    IN_WAREHOUSE,
    LabelChoiceForm,
    PrinterForm,
)
from kitlog.blueprints.web import form_page, saved_redirect
from kitlog.documents.labels import LAYOUTS
from kitlog.extensions import db
from kitlog.models import LabelPrinter, Round
from kitlog.security import require
from kitlog.services import labels as service
from kitlog.services.errors import DomainError


def _choice_form(round_: Round) -> LabelChoiceForm:
    form = LabelChoiceForm(request.args)
    form.set_options(service.printers(db.session), service.round_villages(db.session, round_))
    return form


def _selection(form: LabelChoiceForm, part: str | None = None) -> service.Selection | None:
    """The form's choice (and the part of it, from a part's link) as the labels service
    takes it; None (the reason shown on the form) when it is not one."""
    if not form.validate():
        return None
    kind, _sep, value = (form.output.data or "").partition(":")
    printer = db.session.get(LabelPrinter, int(value)) if kind == "printer" else None
    try:
        return service.select_labels(
            layout=value if kind == "layout" else None,
            printer=printer,
            statuses=service.IN_WAREHOUSE if form.parcels.data == IN_WAREHOUSE else None,
            village=form.village.data or None,
            part=part,
        )
    except DomainError as error:
        form.form_errors.append(str(error))
        return None


def _labels_page(round_: Round, form: LabelChoiceForm, selection, status: int | None = None):
    count = service.count_labels(db.session, round_, selection) if selection else None
    pages = service.pages_for(selection, count) if selection and count else 0
    parts = (
        service.label_parts(db.session, round_, selection, count)
        if selection and count and count > service.MAX_LABELS
        else []
    )
    if status is None:
        status = 200 if selection is not None else 422
    return render_template(
        "printing/round_labels.html",
        round=round_,
        form=form,
        selection=selection,
        count=count,
        pages=pages,
        seconds=service.seconds_for(count) if count else 0,
        max_labels=service.MAX_LABELS,
        parts=parts,
        part_args={k: v for k, v in request.args.items() if k != "part"},
        seconds_for=service.seconds_for,
        active_nav="distribution.rounds",
    ), status


@bp.route("/rounds/<int:round_id>/labels")
@require("labels.print")
def round_labels(round_id: int):
    """Choose the labels to print for a round: on what, which parcels; how many sheets."""
    round_ = db.get_or_404(Round, round_id)
    form = _choice_form(round_)
    return _labels_page(round_, form, _selection(form))


@bp.route("/rounds/<int:round_id>/labels.pdf")
@require("labels.print")
def round_labels_pdf(round_id: int):
    """The chosen labels as a PDF; a choice that prints nothing shows the form again."""
    round_ = db.get_or_404(Round, round_id)
    form = _choice_form(round_)
    selection = _selection(form, request.args.get("part"))
    if selection is None:
        return _labels_page(round_, form, None)
    try:
        sheet = service.render_round_labels(
            db.session,
            round_,
            selection,
            base_url=current_app.config["BASE_URL"],
            user=current_user,
            address=request.remote_addr,
        )
    except DomainError as error:
        form.form_errors.append(str(error))
        return _labels_page(round_, form, selection, error.status)
    return Response(
        sheet.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{sheet.filename}"'},
    )


# -- printers ----------------------------------------------------------------------------------


@bp.route("/printers/")
@require("printers.manage")
def printers():
    """The saved label printers with their shifts, and a test sheet for each layout."""
    return render_template(
        "printing/printers.html",
        printers=service.printers(db.session),
        layouts=list(LAYOUTS),
    )


def _printer_values(form: PrinterForm) -> dict:
    return {
        "name": form.name.data,
        "layout": form.layout.data,
        "offset_x_mm": form.offset_x_mm.data,
        "offset_y_mm": form.offset_y_mm.data,
    }


def _printer_saved(printer: LabelPrinter) -> str:
    return _("The printer %(name)s is saved.", name=printer.name)


@bp.route("/printers/new", methods=["GET", "POST"])
@require("printers.manage")
def new_printer():
    """Save a printer: its labels and how far it shifts the print."""
    form = PrinterForm()
    done = saved_redirect(
        form,
        lambda: service.create_printer(db.session, **_printer_values(form)),
        _printer_saved,
        ".printers",
    )
    return done or form_page(
        "printing/printer_form.html", form, printer=None, active_nav="printing.printers"
    )


@bp.route("/printers/<int:printer_id>/edit", methods=["GET", "POST"])
@require("printers.manage")
def edit_printer(printer_id: int):
    """Correct a printer's shift after a test sheet, or its name or labels."""
    printer = db.get_or_404(LabelPrinter, printer_id)
    form = PrinterForm(obj=printer if request.method == "GET" else None)
    done = saved_redirect(
        form,
        lambda: service.update_printer(db.session, printer, **_printer_values(form)),
        _printer_saved,
        ".printers",
    )
    return done or form_page(
        "printing/printer_form.html", form, printer=printer, active_nav="printing.printers"
    )


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@bp.route("/printers/<int:printer_id>/test.pdf")
@require("printers.manage")
def printer_test_sheet(printer_id: int):
    """A printer's test sheet: label outlines and centre crosses, shifted as saved."""
    printer = db.get_or_404(LabelPrinter, printer_id)
    layout = service.layout_named(printer.layout)
    return _pdf(
        service.render_test_sheet(layout, printer),
        f"kitlog-test-sheet-printer-{printer.id}-{layout.name}.pdf",
    )


@bp.route("/printers/layouts/<layout>/test.pdf")
@require("printers.manage")
def layout_test_sheet(layout: str):
    """A layout's test sheet with no shift, to measure a printer before saving it."""
    if layout not in LAYOUTS:
        abort(404)
    chosen = service.layout_named(layout)
    return _pdf(service.render_test_sheet(chosen), f"kitlog-test-sheet-{chosen.name}.pdf")
