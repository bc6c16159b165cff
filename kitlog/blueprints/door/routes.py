"""Views; see the package docstring."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kitlog.blueprints.distribution.routes import CANCELLABLE
from kitlog.blueprints.door import bp
from kitlog.blueprints.door.forms import (
    HEAD,
    OTHER,
    DeliveryForm,
    FailedDeliveryForm,
    LookupForm,
    ParcelActionForm,
    collector_of,
    new_key,
)
from kitlog.extensions import db
from kitlog.models import Collector, DonorBatch, Parcel, ParcelEvent, ParcelLine, Verification
from kitlog.models.base import as_utc
from kitlog.names import (
    FAIL_REASON_NAMES,
    FEEDBACK_CATEGORY_NAMES,
    PARCEL_STATUS_NAMES,
    RECIPIENT_RELATION_NAMES,
)
from kitlog.security import SCAN_ACTION_PERMISSIONS, can, require
from kitlog.services import cards, distribution, parcel_actions, proofs, scans
from kitlog.services.errors import DomainError, InvalidValues, NotFound
from kitlog.services.parcel_codes import format_short_code
from kitlog.unit_of_work import discard

# The parcel page's own buttons; loading onto a truck happens at the scan station, and
# delivering asks for the recipient on the delivery page.
PAGE_ACTIONS = parcel_actions.offered_at(parcel_actions.PAGE)
DOOR_ACTIONS = parcel_actions.offered_at(parcel_actions.DOOR)

# A scan made offline reaches the server late: its page shows the phone's time too.
PHONE_TIME_SHOWN_AFTER = timedelta(minutes=2)


def phone_time_differs(scan, event) -> bool:
    """Was the scan made on the phone well before the server heard of it (offline)?"""
    if scan is None or scan.scanned_at is None:
        return False
    return abs(as_utc(scan.scanned_at) - as_utc(event.created_at)) > PHONE_TIME_SHOWN_AFTER


def _find(code: str) -> Parcel:
    """The parcel a token, short code or label URL names, with what its pages show."""
    parcel = distribution.find_parcel(db.session, code)
    return db.session.scalars(
        select(Parcel)
        .where(Parcel.id == parcel.id)
        .options(
            selectinload(Parcel.lines)
            .selectinload(ParcelLine.batch)
            .selectinload(DonorBatch.donor),
            selectinload(Parcel.events).selectinload(ParcelEvent.user),
            selectinload(Parcel.events).selectinload(ParcelEvent.scan),
        )
    ).one()


def _donors(parcel: Parcel) -> list[str]:
    """The donors whose kits are in the parcel, by code."""
    return sorted({line.batch.donor.code for line in parcel.lines})


def _allowed(parcel: Parcel) -> list[str]:
    """The scans the parcel's state allows now that this user may make."""
    return [a for a in scans.allowed_actions(parcel) if can(SCAN_ACTION_PERMISSIONS[a])]


def _not_found(error: NotFound):
    return render_template(
        "door/not_found.html", detail=str(error), lookup=LookupForm(), active_nav="door.deliver"
    ), 404


def _result_message(result: scans.ScanResult, action: str, code: str, recipient: str = "") -> str:
    """What a scan did, in the reader's language."""
    if result.outcome == "duplicate":
        if result.status == 200:
            return _("This scan of %(code)s was already recorded: nothing changed.", code=code)
        return _(
            "This scan of %(code)s was already refused: %(detail)s", code=code, detail=result.detail
        )
    if result.outcome == "refused":
        return _("Not recorded: %(detail)s", detail=result.detail)
    if result.outcome == "unknown":
        return _("No parcel has the code %(code)s.", code=code)
    if action == "pack":
        return _("Parcel %(code)s is packed.", code=code)
    if action == "return":
        return _("Parcel %(code)s is back in the warehouse.", code=code)
    if action == "deliver":
        return _("Parcel %(code)s is delivered to %(name)s.", code=code, name=recipient)
    if action == "fail":
        return _("Parcel %(code)s: the failed delivery is recorded.", code=code)
    return _("Parcel %(code)s: recorded.", code=code)


def _category(result: scans.ScanResult) -> str:
    if result.outcome == "ok":
        return "success"
    if result.outcome == "duplicate" and result.status == 200:
        return "info"
    return "error"


@bp.route("/p/<token>")
@require("parcels.read")
def parcel(token: str):
    """The page a parcel's QR code opens: the parcel, its history, what may be done now."""
    try:
        found = _find(token)
    except NotFound as error:
        return _not_found(error)
    allowed = _allowed(found)
    code = format_short_code(found.short_code)
    forms = {
        action: ParcelActionForm(formdata=None, action=action).fresh(found.token)
        for action in allowed
        if action in PAGE_ACTIONS
    }
    return render_template(
        "door/parcel.html",
        parcel=found,
        code=code,
        donors=_donors(found),
        allowed=allowed,
        forms=forms,
        door_links=[action for action in allowed if action in DOOR_ACTIONS],
        actions=parcel_actions.BY_NAME,
        cancellable=can("parcels.cancel") and found.status in CANCELLABLE,
        show_names=can("households.read"),
        active_nav="door.deliver" if can("scans.field") else "distribution.rounds",
    )


@bp.route("/p/<token>/proof")
@require("parcels.proof")
def parcel_proof(token: str):
    """The signature or photo kept with the parcel's delivery, for its page."""
    try:
        found = _find(token)
    except NotFound:
        abort(404)
    proof = proofs.of_parcel(db.session, found)
    if proof is None:
        abort(404)
    return Response(proof.content, mimetype=proof.content_type)


@bp.route("/p/<token>/scan", methods=["POST"])
@require("scans.write")
def parcel_action(token: str):
    """Pack or take back a parcel from its page; the form's key makes a resend a no-op."""
    try:
        found = distribution.find_parcel(db.session, token)
    except NotFound as error:
        return _not_found(error)
    form = ParcelActionForm()
    if not form.validate_on_submit() or form.action.data not in PAGE_ACTIONS:
        abort(400)
    if not can(SCAN_ACTION_PERMISSIONS[form.action.data]):
        abort(403)
    code = format_short_code(found.short_code)
    data = scans.ScanInput(
        code=found.token, action=form.action.data, idempotency_key=form.idempotency_key.data
    )
    try:
        result = scans.record_scan(db.session, data, user=current_user)
    except DomainError as error:
        discard()
        flash(_("Not recorded: %(detail)s", detail=str(error)), "error")
    else:
        flash(_result_message(result, data.action, code), _category(result))
    return redirect(url_for(".parcel", token=found.token))


def _offer(form: DeliveryForm, parcel: Parcel) -> DeliveryForm:
    """The recipient choices of the parcel's household: its head, its active collectors."""
    return form.offer(parcel.household.head_name, parcel.household.collectors)


def needs_card(parcel: Parcel | None) -> bool:
    """Does the parcel's round ask for the household's card with the label?"""
    return parcel is not None and parcel.round.verification == Verification.CARD


def _door_forms(parcel: Parcel | None, allowed: list[str]) -> dict:
    """Fresh deliver / failed-delivery forms for the actions the parcel allows now."""
    forms: dict = {"deliver": None, "fail": None}
    if parcel is not None:
        if "deliver" in allowed:
            forms["deliver"] = _offer(DeliveryForm(formdata=None).fresh(parcel.token), parcel)
        if "fail" in allowed:
            forms["fail"] = FailedDeliveryForm(formdata=None).fresh(parcel.token)
    return forms


def _strings(labels: dict) -> dict[str, str]:
    """Lazy labels as plain strings of the reader's language, for deliver.js."""
    return {key: str(label) for key, label in labels.items()}


def _render_deliver(lookup, parcel=None, forms=None, error=None, status=200):
    allowed = [a for a in _allowed(parcel) if a in DOOR_ACTIONS] if parcel is not None else []
    forms = {**_door_forms(parcel, allowed), **(forms or {})}
    return render_template(
        "door/deliver.html",
        lookup=lookup,
        parcel=parcel,
        code=format_short_code(parcel.short_code) if parcel is not None else "",
        donors=_donors(parcel) if parcel is not None else [],
        allowed=allowed,
        deliver_form=forms["deliver"],
        fail_form=forms["fail"],
        lookup_error=error,
        needs_card=needs_card(parcel),
        # hidden until deliver.js shows a parcel of a saved trip (or a refusal is posted)
        blank_deliver=DeliveryForm(formdata=None).fresh(parcel.token if parcel else ""),
        blank_fail=FailedDeliveryForm(formdata=None).fresh(parcel.token if parcel else ""),
        status_labels=_strings(PARCEL_STATUS_NAMES),
        relation_labels=_strings(RECIPIENT_RELATION_NAMES),
        reason_labels=_strings(FAIL_REASON_NAMES),
        feedback_categories=_strings(FEEDBACK_CATEGORY_NAMES),
        parcel_actions=parcel_actions.as_json(),
        guards=parcel_actions.guard_values(parcel) if parcel is not None else {},
    ), status


@bp.route("/deliver/", methods=["GET", "POST"])
@require("scans.field")
def deliver():
    """Delivery at the door: find the parcel, then confirm who took it or why not."""
    if request.method == "POST":
        return _record_at_door()
    lookup = LookupForm(request.args)
    text = (lookup.code.data or "").strip()
    if not text:
        return _render_deliver(lookup)
    if not lookup.validate():
        return _render_deliver(lookup, error=lookup.code.errors[0], status=422)
    try:
        found = _find(text)
    except NotFound as error:
        return _render_deliver(lookup, error=str(error), status=404)
    return _render_deliver(lookup, found)


def _hidden_field_errors(form) -> None:
    """Errors of fields the officer cannot see are said above the form."""
    if form.lat.errors or form.lon.errors:
        form.form_errors.append(_("The position the phone gave is not valid: nothing was saved."))
    if form.code.errors or form.idempotency_key.errors:
        form.form_errors.append(_("The form is incomplete: reload the page and try again."))


def _record_at_door():
    """The no-JS submission of the delivery page: deliver or fail, through record_scan."""
    action = request.form.get("action")
    if action not in DOOR_ACTIONS:
        abort(400)
    form = DeliveryForm() if action == "deliver" else FailedDeliveryForm()
    lookup = LookupForm(formdata=None, code=form.code.data or "")
    try:
        found = _find(form.code.data or "")
    except NotFound as error:
        return _render_deliver(lookup, error=str(error), status=404)
    lookup.code.data = format_short_code(found.short_code)
    if action == "deliver":
        _offer(form, found)
    if not form.validate_on_submit():
        _hidden_field_errors(form)
        return _render_deliver(lookup, found, forms={action: form}, status=422)
    if action == "deliver":
        form.card.data = (form.card.data or "").strip()
        if needs_card(found) and not form.card.data:
            form.card.errors = [_card_needed(found)]
            return _render_deliver(lookup, found, forms={action: form}, status=422)
        data = _delivery(form, found)
    else:
        data = scans.ScanInput(
            code=form.code.data,
            action=action,
            idempotency_key=form.idempotency_key.data,
            lat=form.lat.data,
            lon=form.lon.data,
            reason=form.reason.data,
            note=(form.note.data or "").strip(),
        )
    try:
        result = scans.record_scan(db.session, data, user=current_user)
    except InvalidValues as error:
        discard()
        for problem in error.errors:
            field = form.error_field(problem.field)
            if field is not None:
                field.errors = [*field.errors, str(problem.message)]
            else:
                form.form_errors.append(str(problem.message))
        return _render_deliver(lookup, found, forms={action: form}, status=422)
    except DomainError as error:
        discard()
        form.show_error(error)
        return _render_deliver(lookup, found, forms={action: form}, status=error.status)
    if action == "deliver" and result.outcome == "refused" and _needs_refused(found, data):
        # The parcel may be delivered, but not with this card or collector: the officer
        # corrects it on the same form (a fresh key, since this one was answered); the
        # refused scan is kept, as every refused scan is.
        _show_refusal(form, found, data, result.detail)
        form.idempotency_key.data = new_key()
        return _render_deliver(lookup, found, forms={action: form}, status=409)
    code = format_short_code(found.short_code)
    flash(_result_message(result, action, code, _recipient_shown(data)), _category(result))
    return redirect(url_for(".deliver", code=code))


def _card_needed(parcel: Parcel) -> str:
    """The words of the card need's refusal, said on the form before any scan is made."""
    return _(
        "Round %(name)s needs the household's card: scan it with the parcel.",
        name=parcel.round.name,
    )


def _delivery(form: DeliveryForm, parcel: Parcel) -> scans.ScanInput:
    """The delivery scan the form describes: the head (by the name the household has),
    a collector (by id), or someone else (by name and relation)."""
    choice = form.recipient.data
    collector = collector_of(choice)
    name, relation = "", ""
    if choice == HEAD:
        name, relation = parcel.household.head_name, HEAD
    elif choice == OTHER:
        name, relation = form.recipient_name.data, form.recipient_relation.data
    return scans.ScanInput(
        code=form.code.data,
        action="deliver",
        idempotency_key=form.idempotency_key.data,
        lat=form.lat.data,
        lon=form.lon.data,
        recipient_name=name,
        recipient_relation=relation,
        card=form.card.data,
        collector=collector,
    )


def _carried(data: scans.ScanInput) -> parcel_actions.Carried:
    """The card and collector a delivery named, looked up as the scan service does."""
    card = str(data.card or "")
    collector_id = data.collector if isinstance(data.collector, int) else None
    return parcel_actions.Carried(
        card_text=card,
        card=cards.find_card(db.session, card) if card else None,
        collector=db.session.get(Collector, collector_id) if collector_id else None,
        collector_id=collector_id,
    )


def _needs_refused(parcel: Parcel, data: scans.ScanInput) -> bool:
    """Was a refused delivery refused for what it carried (card, collector), the parcel
    itself allowing it?"""
    if "deliver" not in scans.allowed_actions(parcel):
        return False
    carried = _carried(data)
    return not (
        parcel_actions.CARD.met(parcel, carried) and parcel_actions.COLLECTOR.met(parcel, carried)
    )


def _show_refusal(form: DeliveryForm, parcel: Parcel, data: scans.ScanInput, detail: str) -> None:
    """The server's refusal next to the field it concerns."""
    carried = _carried(data)
    if not parcel_actions.CARD.met(parcel, carried):
        form.card.errors = [detail]
    else:
        form.recipient.errors = [detail]


def _recipient_shown(data: scans.ScanInput) -> str:
    """Who took it, as the result message names them."""
    if isinstance(data.collector, int):
        collector = db.session.get(Collector, data.collector)
        if collector is not None:
            return collector.name
    return str(data.recipient_name or "")
