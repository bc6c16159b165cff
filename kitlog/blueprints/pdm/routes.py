"""Post-distribution monitoring: the round's sample and results (the administrator's),
the survey list and each household's survey (the field officer's, on a phone)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.pdm import bp
from kitlog.blueprints.pdm.forms import DrawSampleForm, SurveyForm
from kitlog.extensions import db
from kitlog.forms import choice
from kitlog.models import Parcel, Round
from kitlog.models.feedback import PdmSample
from kitlog.names import kit_item_name
from kitlog.security import can, require
from kitlog.services import audit
from kitlog.services import pdm as service
from kitlog.services.distribution import find_parcel
from kitlog.services.errors import NotFound
from kitlog.services.parcel_codes import format_short_code


def _look(households: int, round_ref: str = "") -> None:
    """Log that the heads' names of sampled households were shown."""
    if not households or not can("households.read"):
        return
    # A POST shown again holds the write transaction (SQLite's lock): its look is written
    # in it, as record_look's own transaction would wait on that lock.
    look = audit.record if request.method == "POST" else audit.record_look
    look(
        db.session(),
        "pdm.households",
        user=current_user,
        object_type="round",
        object_ref=round_ref,
        detail={"households": households},
        address=request.remote_addr,
    )


def _sample_rows(sample: PdmSample | None) -> list[dict]:
    """The sample's parcels in the order drawn, each with its household and its answer."""
    if sample is None:
        return []
    lines = list(sample.parcels)
    answers = service.responses_by_parcel(db.session(), [line.parcel_id for line in lines])
    return [
        {
            "position": line.position,
            "parcel": line.parcel,
            "household": line.parcel.household,
            "response": answers.get(line.parcel_id),
        }
        for line in lines
    ]


def _round_page(round_: Round, form: DrawSampleForm | None = None, status: int = 200):
    population = len(service.delivered_parcel_ids(db.session(), round_))
    if form is None:
        form = DrawSampleForm(formdata=None, data={"size": service.default_size(population)})
    results = service.round_results(db.session(), round_)
    rows = _sample_rows(results.sample)
    _look(len(rows), str(round_.id))
    items = {}
    if results.missing:
        items = {
            m.position: kit_item_name(m.item) if m.item else str(m.position)
            for m in results.missing
        }
    return render_template(
        "pdm/round.html",
        round=round_,
        form=form,
        population=population,
        default_size=service.default_size(population),
        results=results,
        rows=rows,
        items=items,
    ), status


@bp.route("/rounds/<int:round_id>")
@require("pdm.manage")
def round_page(round_id: int):
    """The round's monitoring: draw a sample, see who answered and what they said."""
    return _round_page(db.get_or_404(Round, round_id))


@bp.route("/rounds/<int:round_id>/sample", methods=["POST"])
@require("pdm.manage")
def draw(round_id: int):
    """Draw a random sample of the round's delivered households (audited)."""
    round_ = db.get_or_404(Round, round_id)
    form = DrawSampleForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _round_page(round_, form, 422)
    sample = form.save(
        lambda: service.draw_sample(
            db.session(), round_, size=form.size.data, seed=form.seed.data, user=current_user
        )
    )
    if sample is None:
        return _round_page(round_, form, 409 if form.form_errors else 422)
    flash(
        _(
            "%(size)s households drawn with seed %(seed)s.",
            size=sample.size,
            seed=sample.seed,
        ),
        "success",
    )
    return redirect(url_for(".round_page", round_id=round_.id))


@bp.route("/")
@require("pdm.survey")
def index():
    """The households of each round's current sample, and which have answered."""
    samples = [(s, _sample_rows(s)) for s in service.current_samples(db.session)]
    _look(sum(len(rows) for _s, rows in samples))
    return render_template("pdm/index.html", samples=samples)


def _parcel_or_404(parcel_code: str) -> Parcel:
    try:
        return find_parcel(db.session(), parcel_code)
    except NotFound:
        abort(404)


def _offer_items(form: SurveyForm, parcel: Parcel) -> None:
    """The kit's items, by position, as the missing items' checkboxes."""
    items = service.kit_items(db.session(), parcel.round)
    # a SelectChoice each (WTForms deprecates tuples), which its hints do not know yet
    form.items_missing.choices = [choice(i.position, kit_item_name(i)) for i in items]  # type: ignore[misc]


def _survey_page(parcel: Parcel, form: SurveyForm, status: int = 200, refused=None):
    _offer_items(form, parcel)
    return render_template(
        "pdm/survey.html",
        parcel=parcel,
        code=format_short_code(parcel.short_code),
        household=parcel.household,
        form=form,
        refused=refused,
    ), status


@bp.route("/survey/<parcel_code>", methods=["GET", "POST"])
@require("pdm.survey")
def survey(parcel_code: str):
    """A sampled household's survey: complete or not, what was missing, satisfaction."""
    parcel = _parcel_or_404(parcel_code)
    refused = service.refusal(db.session(), parcel)
    if refused is not None:
        return _survey_page(parcel, SurveyForm(formdata=None), 409, refused=str(refused))
    form = SurveyForm()
    if request.method == "GET":
        return _survey_page(parcel, form)
    _offer_items(form, parcel)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _survey_page(parcel, form, 422)
    complete = form.received_complete.data == "yes"
    saved = form.save(
        lambda: service.record_response(
            db.session(),
            {
                "parcel": parcel.id,
                "received_complete": complete,
                "items_missing": [] if complete else list(form.items_missing.data or []),
                "satisfaction": form.satisfaction.data,
                "comment": form.comment.data or "",
            },
            user=current_user,
        )
    )
    if saved is None:
        return _survey_page(parcel, form, 409 if form.form_errors else 422)
    flash(
        _(
            "Thank you: the answers of household %(household)s are recorded.",
            household=parcel.household.code,
        ),
        "success",
    )
    return redirect(url_for(".index"))
