"""Batches, receiving, transfers, losses and adjustments, the movement ledger and the
stock report."""

import re

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from kitlog.blueprints.stock import bp
from kitlog.blueprints.stock.forms import (
    AdjustmentForm,
    MovementFilterForm,
    ReceiveForm,
    StockReportForm,
    TransferForm,
    batch_label,
    warehouse_label,
)
from kitlog.blueprints.web import PER_PAGE, form_page, local_today, page_number, saved_redirect
from kitlog.documents.stock_report_xlsx import render_stock_report_xlsx
from kitlog.extensions import db
from kitlog.models import Donor, DonorBatch, KitType, MovementKind, Warehouse
from kitlog.names import kit_type_name, reason_name
from kitlog.security import require
from kitlog.services import audit, queries
from kitlog.services import stock as stock_service
from kitlog.services import stock_report as stock_report_service
from kitlog.services.errors import InvalidValue
from kitlog.services.queries import MovementFilter

RECENT_MOVEMENTS = 20


def _batch_and_warehouse_options(form, *warehouse_fields: str) -> None:
    form.batch.set_options(queries.batches_for(db.session), batch_label)
    warehouses = queries.warehouses_by_code(db.session)
    for name in warehouse_fields:
        form[name].set_options(warehouses, warehouse_label)


def _prefill(form, **fields: str) -> None:
    """On a fresh form, pick the batch or warehouse named in the query string."""
    if request.method != "GET":
        return
    for name, arg in fields.items():
        value = request.args.get(arg, "")
        if value.isdigit() and len(value) < 12:
            form[name].data = int(value)


@bp.route("/batches")
@require("stock.read")
def batches():
    """Every donor batch with where its kits are, earliest expiry first."""
    rows = queries.batches_with_summaries(db.session)
    return render_template("stock/batches.html", rows=rows, today=local_today())


@bp.route("/batches/<int:batch_id>")
@require("stock.read")
def batch(batch_id: int):
    """One batch: its figures, its stock per warehouse and its latest movements."""
    batch = db.get_or_404(DonorBatch, batch_id)
    summary = stock_service.batch_summaries(db.session, [batch.id])[batch.id]
    query = queries.movements_query(
        MovementFilter(batch_id=batch.id), current_app.config["TIMEZONE"]
    )
    return render_template(
        "stock/batch.html",
        batch=batch,
        summary=summary,
        stock=queries.stock_by_warehouse(db.session, batch_id=batch.id),
        movements=db.session.scalars(query.limit(RECENT_MOVEMENTS)).all(),
        recent=RECENT_MOVEMENTS,
        today=local_today(),
        active_nav="stock.batches",
    )


@bp.route("/receive", methods=["GET", "POST"])
@require("stock.write")
def receive():
    """Record a donor batch arriving; damaged kits are written off as a loss."""
    form = ReceiveForm()
    form.donor.set_options(queries.donors_by_code(db.session), lambda d: f"{d.code} · {d.name}")
    form.kit_type.set_options(
        queries.kit_types_by_code(db.session), lambda k: f"{k.code} · {kit_type_name(k)}"
    )
    form.warehouse.set_options(queries.warehouses_by_code(db.session), warehouse_label)
    if request.method == "GET":
        form.received_date.data = local_today()
    done = saved_redirect(
        form,
        lambda: stock_service.receive_batch(
            db.session,
            donor=db.session.get(Donor, form.donor.data),
            kit_type=db.session.get(KitType, form.kit_type.data),
            warehouse=db.session.get(Warehouse, form.warehouse.data),
            reference=form.reference.data,
            lot=form.lot.data,
            expiry_date=form.expiry_date.data,
            quantity_pledged=form.quantity_pledged.data,
            quantity_received=form.quantity_received.data,
            quantity_damaged=form.quantity_damaged.data,
            received_date=form.received_date.data,
            user=current_user,
        ),
        _received,
        lambda batch: url_for(".batch", batch_id=batch.id),
    )
    return done or form_page("stock/receive.html", form)


def _received(batch: DonorBatch) -> str:
    on_hand = batch.quantity_received - batch.quantity_damaged
    if batch.quantity_damaged:
        return _(
            "Lot %(lot)s is received: %(on_hand)s kits on hand;"
            " %(damaged)s damaged kits are recorded as a loss.",
            lot=batch.lot,
            on_hand=format_number(on_hand),
            damaged=format_number(batch.quantity_damaged),
        )
    return _(
        "Lot %(lot)s is received: %(on_hand)s kits on hand.",
        lot=batch.lot,
        on_hand=format_number(on_hand),
    )


@bp.route("/transfer", methods=["GET", "POST"])
@require("stock.write")
def transfer():
    """Move kits of one batch from one warehouse to another."""
    form = TransferForm()
    _batch_and_warehouse_options(form, "from_warehouse", "to_warehouse")
    _prefill(form, batch="batch", from_warehouse="warehouse")
    done = saved_redirect(
        form,
        lambda: stock_service.transfer_stock(
            db.session,
            batch=db.session.get(DonorBatch, form.batch.data),
            from_warehouse=db.session.get(Warehouse, form.from_warehouse.data),
            to_warehouse=db.session.get(Warehouse, form.to_warehouse.data),
            quantity=form.quantity.data,
            note=form.note.data or "",
            user=current_user,
        ),
        lambda transfer: _(
            "%(quantity)s kits of lot %(lot)s moved from %(source)s to %(target)s.",
            quantity=format_number(transfer.quantity),
            lot=transfer.batch.lot,
            source=transfer.from_warehouse.code,
            target=transfer.to_warehouse.code,
        ),
        lambda transfer: url_for(".batch", batch_id=transfer.batch_id),
    )
    return done or form_page(
        "stock/transfer.html", form, stock=queries.stock_by_warehouse(db.session)
    )


@bp.route("/adjust", methods=["GET", "POST"])
@require("stock.write")
def adjust():
    """Record a loss or a correction of the stock, always with a reason."""
    form = AdjustmentForm()
    _batch_and_warehouse_options(form, "warehouse")
    _prefill(form, batch="batch", warehouse="warehouse")
    if form.validate_on_submit():
        audit.record(
            db.session,
            f"stock.{form.kind.data}",
            user=current_user,
            object_type="batch",
            object_ref=form.batch.data,
            detail={"warehouse": form.warehouse.data, "quantity": form.signed_quantity()},
            address=request.remote_addr,
        )
        movement = form.save(
            lambda: stock_service.adjust_stock(
                db.session,
                batch=db.session.get(DonorBatch, form.batch.data),
                warehouse=db.session.get(Warehouse, form.warehouse.data),
                quantity=form.signed_quantity(),
                kind=form.kind.data,
                reason=form.reason.data,
                user=current_user,
            )
        )
        if movement is not None:
            if movement.kind == MovementKind.LOSS:
                message = _(
                    "A loss of %(kits)s kits of lot %(lot)s in %(warehouse)s is recorded.",
                    kits=format_number(-movement.quantity),
                    lot=movement.batch.lot,
                    warehouse=movement.warehouse.code,
                )
            else:
                message = _(
                    "An adjustment of %(change)s kits of lot %(lot)s in %(warehouse)s is recorded.",
                    change=("+" if movement.quantity > 0 else "")
                    + format_number(movement.quantity),
                    lot=movement.batch.lot,
                    warehouse=movement.warehouse.code,
                )
            flash(message, "success")
            return redirect(url_for(".batch", batch_id=movement.batch_id))
    return form_page("stock/adjust.html", form, stock=queries.stock_by_warehouse(db.session))


@bp.route("/movements")
@require("stock.read")
def movements():
    """The ledger, newest first, filtered by batch, warehouse, kind and dates."""
    form = MovementFilterForm(request.args)
    _batch_and_warehouse_options(form, "warehouse")
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    if not form.validate():
        return render_template(
            "stock/movements.html", form=form, page=None, filter_args=filter_args
        ), 422
    filters = MovementFilter(
        batch_id=form.batch.data,
        warehouse_id=form.warehouse.data,
        kind=form.kind.data or None,
        date_from=form.date_from.data,
        date_to=form.date_to.data,
    )
    page = db.paginate(
        queries.movements_query(filters, current_app.config["TIMEZONE"]),
        page=page_number(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("stock/movements.html", form=form, page=page, filter_args=filter_args)


# -- the stock report ----------------------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stock_report():
    """The report's form from the query string over its defaults (the first warehouse,
    this month so far), and the report when the form is valid (else None)."""
    warehouses = {w.code: w for w in queries.warehouses_by_code(db.session)}
    date_from, date_to = stock_report_service.default_period(local_today())
    values = MultiDict(
        {
            "warehouse": next(iter(warehouses), ""),
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
        }
    )
    for key in ("warehouse", "from", "to"):
        value = request.args.get(key, "").strip()
        if value:
            values[key] = value[:40]
    form = StockReportForm(values)
    form.set_warehouses(warehouses.values())
    if not warehouses or not form.validate():
        return form, None
    try:
        report = stock_report_service.stock_report(
            db.session,
            warehouses[form.warehouse.data],
            date_from=form.date_from.data,
            date_to=form.date_to.data,
            timezone=current_app.config["TIMEZONE"],
        )
    except InvalidValue as error:
        form.date_to.errors = [*form.date_to.errors, str(error)]
        return form, None
    return form, report


def _report_args(report) -> dict[str, str]:
    return {
        "warehouse": report.warehouse_code,
        "from": report.date_from.isoformat(),
        "to": report.date_to.isoformat(),
    }


@bp.route("/report")
@require("stock.read")
def report():
    """The stock report of a warehouse over a period: opening, in, out, losses, closing."""
    form, report = _stock_report()
    return render_template(
        "stock/report.html",
        form=form,
        report=report,
        report_args=_report_args(report) if report else None,
    ), (200 if report is not None or not form.warehouse.choices else 422)


@bp.route("/report.xlsx")
@require("stock.read")
def report_xlsx():
    """The stock report as an XLSX sheet, for the same warehouse and period as the page."""
    form, report = _stock_report()
    if report is None:
        return render_template("stock/report.html", form=form, report=None), 422
    args = _report_args(report)
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", f"stock-report-{'-'.join(args.values())}.xlsx")
    return Response(
        render_stock_report_xlsx(report, gettext=_, reason=reason_name),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
