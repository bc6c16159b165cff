"""Distribution rounds: plan, allocate, follow their parcels."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kitlog.blueprints.distribution import bp
from kitlog.blueprints.distribution.forms import (
    DRAFT_ONLY_FIELDS,
    ActionForm,
    CancelParcelForm,
    ParcelFilterForm,
    RoundForm,
)
from kitlog.blueprints.stock.forms import warehouse_label
from kitlog.blueprints.web import (
    PER_PAGE,
    audited,
    button_redirect,
    form_page,
    local_today,
    page_number,
    saved_redirect,
)
from kitlog.extensions import db
from kitlog.models import DonorBatch, Warehouse
from kitlog.models.distribution import Parcel, ParcelStatus, Round, RoundStatus, Verification
from kitlog.security import require
from kitlog.services import distribution, queries
from kitlog.services import stock as stock_service
from kitlog.services.errors import DomainError, OutOfStock
from kitlog.services.parcel_codes import format_short_code
from kitlog.unit_of_work import discard

SKIPPED_SHOWN = 100
CANCELLABLE = (ParcelStatus.ALLOCATED, ParcelStatus.PACKED, ParcelStatus.RETURNED)


def _round_or_404(round_id: int) -> Round:
    return db.get_or_404(Round, round_id)


def _batch_options(form: RoundForm) -> dict:
    """Every batch as a checkbox, with its kits available in each warehouse."""
    batches = queries.batches_for(db.session)
    warehouses = {w.id: w for w in queries.warehouses_by_code(db.session)}
    available: dict[int, list[tuple[Warehouse, int]]] = {}
    for level in stock_service.stock_levels(db.session):
        if level.on_hand or level.reserved:
            available.setdefault(level.batch_id, []).append(
                (warehouses[level.warehouse_id], level.available)
            )
    for rows in available.values():
        rows.sort(key=lambda row: row[0].code)
    today = local_today()
    ordered = sorted(batches, key=lambda b: (b.expiry_date is None, b.expiry_date, b.lot, b.id))
    form.batches.choices = [(b.id, b.lot) for b in ordered]
    form.warehouse.set_options(list(warehouses.values()), warehouse_label)
    return {"batch_rows": [(b, available.get(b.id, []), _expired(b, today)) for b in ordered]}


def _expired(batch: DonorBatch, today) -> bool:
    return batch.expiry_date is not None and batch.expiry_date < today


def _round_values(form: RoundForm) -> dict:
    """The form's values as the distribution service takes them."""
    batch_ids = form.batches.data or []
    query = select(DonorBatch).where(DonorBatch.id.in_(batch_ids))
    chosen = {b.id: b for b in db.session.scalars(query)}
    warehouse_id = form.warehouse.data
    area = {name: value or None for name, value in form.place_values().items()}
    return {
        "name": form.name.data,
        "batches": [chosen[i] for i in batch_ids if i in chosen],
        "warehouse": db.session.get(Warehouse, warehouse_id) if warehouse_id else None,
        "entitlement": form.entitlement.data,
        "members_per_kit": form.members_per_kit.data,
        **area,
        "vulnerable_first": bool(form.vulnerable_first.data),
        "show_head_name": bool(form.show_head_name.data),
        "start_date": form.start_date.data,
        "end_date": form.end_date.data,
        "proof": form.proof.data,
        "verification": form.verification.data,
        "mode": form.mode.data,
    }


@bp.route("/")
@require("rounds.read")
def rounds():
    """Every distribution round, newest first, with its parcels' progress."""
    query = (
        select(Round)
        .options(selectinload(Round.batches).selectinload(DonorBatch.donor))
        .options(selectinload(Round.warehouse))
        .order_by(Round.created_at.desc(), Round.id.desc())
    )
    page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    counts = distribution.round_counts(db.session, [r.id for r in page.items])
    rows = [(r, counts[r.id], distribution.round_progress(counts[r.id])) for r in page.items]
    return render_template("distribution/rounds.html", page=page, rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@require("rounds.write")
def new_round():
    """Plan a distribution round: batches, warehouse, area and entitlement."""
    form = RoundForm()
    options = _batch_options(form)
    done = saved_redirect(
        form,
        lambda: distribution.create_round(db.session, **_round_values(form), user=current_user),
        lambda created: _("The round “%(name)s” is planned as a draft.", name=created.name),
        lambda created: url_for(".round", round_id=created.id),
    )
    return done or form_page("distribution/round_form.html", form, round=None, **options)


@bp.route("/<int:round_id>/edit", methods=["GET", "POST"])
@require("rounds.write")
def edit_round(round_id: int):
    """Correct a round; its batches, warehouse, entitlement and area only while a draft."""
    round_ = _round_or_404(round_id)
    if round_.status == RoundStatus.CLOSED:
        abort(409)  # a closed round no longer changes
    form = RoundForm(obj=round_ if request.method == "GET" else None)
    options = _batch_options(form)
    if request.method == "GET":
        form.batches.data = [b.id for b in round_.batches]
        form.warehouse.data = round_.warehouse_id
    if round_.status != RoundStatus.DRAFT:
        form.lock_draft_fields()
    if form.validate_on_submit():
        values = _round_values(form)
        if round_.status != RoundStatus.DRAFT:
            for name in DRAFT_ONLY_FIELDS:  # left out: the round keeps them
                values.pop(name)
        updated = form.save(
            lambda: distribution.update_round(db.session, round_, **values, user=current_user)
        )
        if updated is not None:
            flash(_("The round “%(name)s” is saved.", name=updated.name), "success")
            return redirect(url_for(".round", round_id=updated.id))
    if round_.status != RoundStatus.DRAFT:
        # the locked fields show the round's values, whatever was posted
        form.batches.data = [b.id for b in round_.batches]
        form.warehouse.data = round_.warehouse_id
        form.entitlement.data = round_.entitlement
        form.members_per_kit.data = round_.members_per_kit
        form.province.data = round_.province or ""
        form.regency.data = round_.regency or ""
        form.province_code.data = round_.province_code or ""
        form.regency_code.data = round_.regency_code or ""
    return form_page("distribution/round_form.html", form, round=round_, **options)


@bp.route("/<int:round_id>", endpoint="round")
@require("rounds.read")
def show_round(round_id: int):
    """One round: its rule, its batches, the plan before allocating, and its parcels."""
    round_ = _round_or_404(round_id)
    counts = distribution.round_counts(db.session, [round_.id])[round_.id]
    plan = skipped = None
    skipped_total = 0
    if round_.status != RoundStatus.CLOSED:
        plan = distribution.plan_allocation(db.session, round_, today=local_today())
        skipped, skipped_total = distribution.skipped_households(
            db.session, round_, limit=SKIPPED_SHOWN
        )
    filters = ParcelFilterForm(request.args)
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    valid = filters.validate()
    query = distribution.parcels_query(
        round_.id,
        statuses=[filters.status.data] if valid and filters.status.data else None,
        village=(filters.village.data or "").strip() or None if valid else None,
    )
    parcels = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
    without_card = 0
    if round_.verification == Verification.CARD and round_.status != RoundStatus.CLOSED:
        without_card = distribution.households_without_card(db.session, round_)
    return render_template(
        "distribution/round.html",
        without_card=without_card,
        round=round_,
        counts=counts,
        progress=distribution.round_progress(counts),
        plan=plan,
        skipped=skipped,
        skipped_total=skipped_total,
        parcels=parcels,
        filters=filters,
        filter_args=filter_args,
        action=ActionForm(),
        batches=plan.batches
        if plan is not None
        else distribution.batch_availability(db.session, round_, today=local_today()),
        active_nav="distribution.rounds",
    ), (200 if valid else 422)


def _action(round_: Round, run, success) -> object:
    """Run one button's service call and say what happened, or say why not."""
    return button_redirect(ActionForm(), run, success, ".round", round_id=round_.id)


@bp.route("/<int:round_id>/allocate", methods=["POST"])
@require("rounds.write")
def allocate(round_id: int):
    """Allocate a parcel to every eligible household, or nothing when stock is short."""
    round_ = _round_or_404(round_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = distribution.allocate(db.session, round_, user=current_user, today=local_today())
    except DomainError as error:
        discard()
        flash(_refusal(error), "error")
        return redirect(url_for(".round", round_id=round_id))
    flash(_allocated_message(result), "success")
    return redirect(url_for(".round", round_id=round_id))


def _allocated_message(result) -> str:
    """How many parcels and kits; how many households were left out as not eligible
    (those that already had a parcel are not counted as skipped)."""
    skipped = sum(1 for skip in result.skipped if skip.reason != "already_allocated")
    message = ngettext(
        "%(count)s parcel allocated (%(kits)s kits).",
        "%(count)s parcels allocated (%(kits)s kits).",
        result.allocated,
        count=format_number(result.allocated),
        kits=format_number(result.kits),
    )
    if skipped:
        message += " " + ngettext(
            "%(count)s household skipped: the round's page says why.",
            "%(count)s households skipped: the round's page says why.",
            skipped,
            count=format_number(skipped),
        )
    return message


def _refusal(error: DomainError) -> str:
    """Why nothing was allocated; for short stock, the kits needed and available."""
    if isinstance(error, OutOfStock):
        return _(
            "Nothing was allocated: %(needed)s kits are needed and only %(available)s"
            " are available.",
            needed=format_number(error.requested),
            available=format_number(error.available),
        )
    return _("Nothing was allocated: %(reason)s", reason=str(error))


@bp.route("/<int:round_id>/open", methods=["POST"])
@require("rounds.write")
def open_round(round_id: int):
    """Open a draft round: its parcels can then be packed and delivered."""
    round_ = _round_or_404(round_id)
    return _action(
        round_,
        lambda: distribution.open_round(db.session, round_, user=current_user),
        lambda r: _("The round “%(name)s” is open.", name=r.name),
    )


@bp.route("/<int:round_id>/close", methods=["POST"])
@require("rounds.write")
def close_round(round_id: int):
    """Close an open round once no parcel is on a shelf or on the road."""
    round_ = _round_or_404(round_id)
    return _action(
        round_,
        lambda: distribution.close_round(db.session, round_, user=current_user),
        lambda r: _("The round “%(name)s” is closed.", name=r.name),
    )


def _parcel_or_404(round_id: int, parcel_id: int) -> Parcel:
    parcel = db.get_or_404(Parcel, parcel_id)
    if parcel.round_id != round_id:
        abort(404)
    return parcel


@bp.route("/<int:round_id>/parcels/<int:parcel_id>")
@require("parcels.read")
def parcel(round_id: int, parcel_id: int):
    """One parcel: its code, kits, household and history."""
    parcel = _parcel_or_404(round_id, parcel_id)
    return render_template(
        "distribution/parcel.html",
        parcel=parcel,
        form=CancelParcelForm(),
        cancellable=parcel.status in CANCELLABLE,
        active_nav="distribution.rounds",
    )


@bp.route("/<int:round_id>/parcels/<int:parcel_id>/cancel", methods=["POST"])
@require("parcels.cancel")
def cancel_parcel(round_id: int, parcel_id: int):
    """Cancel a parcel before dispatch: its kits go back to the available stock."""
    parcel = _parcel_or_404(round_id, parcel_id)
    form = CancelParcelForm()
    done = saved_redirect(
        form,
        audited(
            "parcel.cancel",
            "parcel",
            parcel.short_code,
            lambda: distribution.cancel_parcel(
                db.session, parcel, user=current_user, reason=(form.reason.data or "").strip()
            ),
        ),
        lambda cancelled: _(
            "Parcel %(code)s is cancelled: its %(kits)s kits are available again.",
            code=format_short_code(cancelled.short_code),
            kits=format_number(cancelled.kits),
        ),
        ".parcel",
        round_id=round_id,
        parcel_id=parcel_id,
    )
    if done:
        return done
    return render_template(
        "distribution/parcel.html",
        parcel=parcel,
        form=form,
        cancellable=parcel.status in CANCELLABLE,
        active_nav="distribution.rounds",
    ), 409 if form.form_errors else 422
