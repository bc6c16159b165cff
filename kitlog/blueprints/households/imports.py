"""Importing households from a spreadsheet: upload, preview, confirm, progress.

The upload is kept as a HouseholdImport job and checked in a background thread
(`services.imports.runner`, which these views only start); the job's state lives in the
database, so whichever worker answers the next request shows the same progress.
Confirming imports the whole file in one transaction, or nothing.
"""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge

from kitlog.blueprints.households import bp
from kitlog.blueprints.web import page_number
from kitlog.documents.spreadsheets import CSV_CONTENT_TYPE
from kitlog.extensions import db
from kitlog.forms import KitlogForm
from kitlog.i18n import current_language
from kitlog.models import HouseholdImport, ImportStatus
from kitlog.security import can, require
from kitlog.services import imports as import_service
from kitlog.services.imports import runner
from kitlog.unit_of_work import after_commit

ERRORS_PER_PAGE = 500
# The multipart envelope around a 20 MB file: its boundaries, headers and CSRF token.
ENVELOPE_BYTES = 64 * 1024
UPLOAD_ENDPOINTS = ("households.import_upload", "api_imports.import_households")
REFRESH_SECONDS = 2


class UploadForm(KitlogForm):
    file = FileField(
        _l("Spreadsheet (CSV or XLSX)"),
        description=_l("Up to 20 MB and 100,000 households. The first row holds the column names."),
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )


class JobForm(KitlogForm):
    """Confirm or cancel: the CSRF token is the whole form."""


def too_large_message() -> str:
    return _(
        "The file is larger than %(mb)s MB. Split it into smaller files and import each one.",
        mb=import_service.MAX_UPLOAD_BYTES // (1024 * 1024),
    )


def allow_spreadsheet_uploads(endpoint: str | None, _values) -> None:
    """A spreadsheet may be larger than other requests (20 MB, not MAX_CONTENT_LENGTH).

    URL value preprocessors run before every before_request function, and so before
    kitlog.security's CSRF check reads the form: the limit is raised in time, for the
    upload endpoints only.
    """
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = import_service.MAX_UPLOAD_BYTES + ENVELOPE_BYTES


bp.url_value_preprocessor(allow_spreadsheet_uploads)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A file over the limit: the upload page again, saying so (413)."""
    if request.endpoint != "households.import_upload" or not can("households.import"):
        return render_template(
            "errors/error.html", status=413, title=_("Upload too large"), detail=too_large_message()
        ), 413
    return _upload_page(UploadForm(formdata=None), error=too_large_message(), status=413)


def _upload_page(form: UploadForm, *, error: str | None = None, status: int = 200):
    if error:
        form.file.errors = [error]
    return render_template(
        "households/import_upload.html",
        form=form,
        recent=import_service.recent_imports(db.session, current_user),
        max_rows=import_service.MAX_ROWS,
        active_nav="households.import_upload",
    ), status


@bp.route("/imports/new", methods=["GET", "POST"])
@require("households.import")
def import_upload():
    """Upload a spreadsheet of households; its rows are checked before anything is saved."""
    form = UploadForm()
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, status=422)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        return _upload_page(form, error=_("Choose the file to import."), status=422)
    content = upload.read(import_service.MAX_UPLOAD_BYTES + 1)
    if len(content) > import_service.MAX_UPLOAD_BYTES:
        return _upload_page(form, error=too_large_message(), status=413)
    try:  # one file of theirs checked at a time, and a few per worker
        slot = import_service.claim_check(db.session, current_user)
    except import_service.ImportBusy as busy:
        return _upload_page(form, error=busy.message, status=busy.status)
    try:
        job = form.save(
            lambda: import_service.create_import(
                db.session,
                filename=upload.filename,
                content=content,
                user=current_user,
                language=current_language(),
            )
        )
    except BaseException:
        slot.release()
        raise
    if job is None:
        slot.release()
        return _upload_page(form, status=422)
    # The check's thread reads the job: it starts once the request has committed it.
    app, job_id = current_app._get_current_object(), job.id
    after_commit(lambda: runner.start_check(app, job_id, slot), otherwise=slot.release)
    return redirect(url_for(".import_job", job_id=job_id))


@bp.route("/imports/<int:job_id>")
@require("households.import")
def import_job(job_id: int):
    """An import: its progress, or its preview (good rows, every bad row), or its result."""
    job = import_service.import_for(db.session, job_id, current_user)
    errors = import_service.job_errors(job)
    page = page_number()
    pages = max((len(errors) + ERRORS_PER_PAGE - 1) // ERRORS_PER_PAGE, 1)
    page = min(page, pages)
    shown = errors[(page - 1) * ERRORS_PER_PAGE : page * ERRORS_PER_PAGE]
    interrupted = import_service.is_interrupted(job)
    working = job.status in import_service.WORKING and not interrupted
    response = Response(
        render_template(
            "households/import_job.html",
            job=job,
            errors=shown,
            error_count=len(errors),
            bad_rows=len({e.get("row") for e in errors}),
            page=page,
            pages=pages,
            interrupted=interrupted,
            working=working,
            refresh=REFRESH_SECONDS if working else None,
            percent=_percent(job),
            form=JobForm(),
            active_nav="households.import_upload",
        )
    )
    response.headers["Cache-Control"] = "no-store"
    if working:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _percent(job: HouseholdImport) -> int:
    if job.status in (ImportStatus.DONE, ImportStatus.READY, ImportStatus.INVALID):
        return 100
    if not job.total_rows:
        return 0
    return min(int(job.processed_rows * 100 / job.total_rows), 99)


@bp.route("/imports/<int:job_id>/confirm", methods=["POST"])
@require("households.import")
def import_confirm(job_id: int):
    """Import every row of a checked file, all in one go."""
    job = import_service.import_for(db.session, job_id, current_user)
    form = JobForm()
    if form.validate_on_submit():
        form.save(lambda: import_service.begin_import(db.session, job))
        if form.form_errors:
            flash(form.form_errors[0], "error")
        else:
            app = current_app._get_current_object()
            after_commit(lambda: runner.start_import(app, job_id))
    return redirect(url_for(".import_job", job_id=job_id))


@bp.route("/imports/<int:job_id>/cancel", methods=["POST"])
@require("households.import")
def import_cancel(job_id: int):
    """Cancel an import that was not imported, and forget its file."""
    job = import_service.import_for(db.session, job_id, current_user)
    form = JobForm()
    if form.validate_on_submit():
        form.save(lambda: import_service.cancel_import(db.session, job))
        if not form.form_errors:
            flash(_("The import is cancelled: nothing was imported."), "info")
            return redirect(url_for(".import_upload"))
        flash(form.form_errors[0], "error")
    return redirect(url_for(".import_job", job_id=job_id))


@bp.route("/imports/template.xlsx")
@require("households.import")
def import_template_xlsx():
    """The XLSX template: the columns, then instructions and allowed values."""
    return Response(
        import_service.template_xlsx(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="kitlog-households.xlsx"'},
    )


@bp.route("/imports/template.csv")
@require("households.import")
def import_template_csv():
    """The CSV template (UTF-8): the header row only."""
    return Response(
        import_service.template_csv(),
        content_type=CSV_CONTENT_TYPE,
        headers={"Content-Disposition": 'attachment; filename="kitlog-households.csv"'},
    )
