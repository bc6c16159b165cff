"""Search, register and correct households; import them from a spreadsheet."""

from flask import (
    Response,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.households import bp
from kitlog.blueprints.households.forms import (
    CollectorForm,
    HouseholdEditForm,
    HouseholdForm,
    HouseholdSearchForm,
    RemoveCollectorForm,
)
from kitlog.blueprints.web import (
    PER_PAGE,
    audited,
    button_redirect,
    form_page,
    local_today,
    page_number,
    saved_redirect,
)
from kitlog.documents.spreadsheets import CSV_CONTENT_TYPE, csv_chunks
from kitlog.errors import problem
from kitlog.extensions import db
from kitlog.models.base import utcnow
from kitlog.models.cards import MAX_COLLECTORS
from kitlog.security import require
from kitlog.services import audit, cards, personal_data
from kitlog.services import collectors as collector_service
from kitlog.services import households as household_service
from kitlog.services.errors import InvalidValue
from kitlog.unit_of_work import discard


@bp.app_errorhandler(personal_data.TooManyReads)
def _too_many_reads(error: personal_data.TooManyReads):
    """429 with Retry-After, in the user's language, on the pages and in the API."""
    discard()
    if request.path.startswith("/api/"):
        response = problem(error.status, str(error))
    else:
        response = current_app.make_response(
            (
                render_template(
                    "errors/error.html",
                    status=error.status,
                    title=_("Too many households read"),
                    detail=str(error),
                ),
                error.status,
            )
        )
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _household(code: str):
    """The household a URL names by its code: the 404 page when there is none."""
    return household_service.get_household(db.session, code)


def _lookalikes(form):
    return household_service.households_by_code(db.session, form.lookalikes)


@bp.route("/")
@require("households.read")
def index():
    """Search households by name, code, NIK or village, and by province."""
    form = HouseholdSearchForm(request.args)
    filter_args = {k: v for k, v in request.args.items() if k in ("q", "province") and v}
    page = None
    if not form.q.validate(form):  # too long to be any name: refused, never searched
        return render_template(
            "households/index.html", form=form, page=None, filter_args=filter_args
        ), 422
    try:
        query = household_service.households_query(
            form.q.data or "", province=form.province.data or None
        )
    except InvalidValue as error:
        form.province.errors = [str(error)]
    else:
        page = db.paginate(query, page=page_number(), per_page=PER_PAGE, error_out=False)
        personal_data.record_list_read(
            db.session,
            user=current_user,
            count=len(page.items),
            page=page.page,
            per_page=PER_PAGE,
            list_filter=personal_data.ListFilter(
                q=form.q.data or "", province=form.province.data or None
            ),
            address=request.remote_addr,
            now=utcnow(),
        )
    return render_template(
        "households/index.html", form=form, page=page, filter_args=filter_args
    ), (200 if page is not None else 422)


@bp.route("/export.csv")
@require("households.export")
def export_csv():
    """Every household's personal data as CSV (admins only; each export is logged)."""
    # The export is logged in the request's transaction, which commits before the first
    # row leaves.
    table = audit.personal_data_export(db.session, user=current_user, address=request.remote_addr)
    # The rows stream from a session of their own: no request context is needed to send them.
    return Response(
        csv_chunks(table, audit.personal_data_rows(db.engine)),
        content_type=CSV_CONTENT_TYPE,
        headers={
            "Content-Disposition": "attachment; filename=households.csv",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/new", methods=["GET", "POST"])
@require("households.write")
def new():
    """Register a household: its NIK must be new; a look-alike needs the officer's word."""
    form = HouseholdForm()
    if request.method == "GET":
        form.consent_date.data = local_today().isoformat()
    done = saved_redirect(
        form,
        lambda: household_service.register_household(
            db.session,
            form.raw(),
            user=current_user,
            confirm_duplicate=form.confirm_duplicate.data,
            today=local_today(),
        ),
        lambda household: _("Household %(code)s is registered.", code=household.code),
        lambda household: url_for(".show", code=household.code),
    )
    return done or form_page(
        "households/form.html",
        form,
        lookalikes=_lookalikes(form),
        active_nav="households.new",
    )


@bp.route("/<code>")
@require("households.read")
def show(code: str):
    """One household: its values, its collectors and every parcel it received."""
    return _household_page(_household(code))


def _household_page(household, collector_form: CollectorForm | None = None) -> str:
    """The household's page, each showing logged as a read of its record; or, with the
    collector form as it was refused, the page the officer just opened (and whose read was
    logged) shown again: a refusal writes nothing, as the edit form's does not."""
    if collector_form is None:
        personal_data.record_view(
            db.session,
            household.code,
            user=current_user,
            address=request.remote_addr,
            now=utcnow(),
        )
    card = household.card
    return render_template(
        "households/show.html",
        household=household,
        card=card,
        card_code=cards.shown_code(card) if card is not None else None,
        parcels=household_service.household_parcels(db.session, household),
        # Rounds and parcels have pages once the distribution area is there.
        parcel_pages="distribution.parcel" in current_app.view_functions
        and "distribution.round" in current_app.view_functions,
        active_nav="households.index",
        # the collectors section (households/_collectors.html)
        collector_form=collector_form or CollectorForm(prefix="collector", formdata=None),
        remove_collector_form=RemoveCollectorForm(formdata=None),
        max_collectors=MAX_COLLECTORS,
    )


@bp.route("/<code>/collectors", methods=["POST"])
@require("households.write")
def add_collector(code: str):
    """Name a collector for the household; a refusal shows the page again with what was
    typed and the reason next to its field."""
    household = _household(code)
    form = CollectorForm(prefix="collector")
    done = saved_redirect(
        form,
        lambda: collector_service.add_collector(
            db.session, household, form.raw(), user=current_user, address=request.remote_addr
        ),
        lambda collector: _("%(name)s may now collect for this household.", name=collector.name),
        lambda _collector: url_for(".show", code=household.code, _anchor="collectors"),
    )
    return done or (_household_page(household, form), 422)


@bp.route("/<code>/collectors/<int:collector_id>/remove", methods=["POST"])
@require("households.write")
def remove_collector(code: str, collector_id: int):
    """Remove a collector: they no longer collect for the household (their record stays)."""
    household = _household(code)
    collector_service.household_collector(db.session, household, collector_id)  # else 404
    return button_redirect(
        RemoveCollectorForm(),
        lambda: collector_service.deactivate_collector(
            db.session, household, collector_id, user=current_user, address=request.remote_addr
        ),
        lambda collector: _("%(name)s no longer collects for this household.", name=collector.name),
        ".show",
        code=household.code,
        _anchor="collectors",
    )


@bp.route("/<code>/edit", methods=["GET", "POST"])
@require("households.write")
def edit(code: str):
    """Correct a household's values; its code never changes and its NIK stays unique."""
    household = _household(code)
    if request.method == "GET":
        values = household_service.household_values(household)
        if values["consent_date"] is not None:
            values["consent_date"] = values["consent_date"].isoformat()
        else:
            values["consent_date"] = local_today().isoformat()
        form = HouseholdEditForm(data=values)
    else:
        form = HouseholdEditForm()
    done = saved_redirect(
        form,
        audited(
            "household.edit",
            "household",
            household.code,
            lambda: household_service.update_household(
                db.session,
                household,
                form.raw(),
                user=current_user,
                confirm_duplicate=form.confirm_duplicate.data,
                today=local_today(),
            ),
        ),
        lambda _saved: _("Household %(code)s is saved.", code=household.code),
        ".show",
        code=household.code,
    )
    return done or form_page(
        "households/form.html",
        form,
        household=household,
        lookalikes=_lookalikes(form),
        active_nav="households.index",
    )
