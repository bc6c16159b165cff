"""Importing households from a spreadsheet through the API (all or nothing)."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_smorest.fields import Upload
from marshmallow import fields
from werkzeug.exceptions import RequestEntityTooLarge

from kitlog.blueprints.api.common import ApiBlueprint, acting_user
from kitlog.blueprints.api.problems import problems
from kitlog.blueprints.households.imports import allow_spreadsheet_uploads, too_large_message
from kitlog.blueprints.web import local_today
from kitlog.errors import problem
from kitlog.extensions import db
from kitlog.security import require
from kitlog.services import imports as import_service
from kitlog.services.locking import transaction
from kitlog.unit_of_work import writes_late

blp = ApiBlueprint("api_imports", __name__, description="Household imports")
blp.url_value_preprocessor(allow_spreadsheet_uploads)


class ImportFileSchema(ma.Schema):
    file = Upload(
        required=True,
        metadata={
            "description": (
                "The spreadsheet: CSV (UTF-8, with or without BOM) or XLSX, up to 20 MB and"
                " 100,000 rows. Row 1 holds the column names: head_name, worker_name,"
                " worker_relation, nik, phone, province, regency, district, village,"
                " members, vulnerabilities, consent, consent_date."
            )
        },
    )


class ImportArgs(ma.Schema):
    dry_run = fields.Boolean(
        load_default=False,
        metadata={"description": "Check the file and import nothing: 200 {good_rows, errors}."},
    )


class ImportResultSchema(ma.Schema):
    imported = fields.Integer(required=True, metadata={"description": "Households imported."})


class ImportErrorSchema(ma.Schema):
    row = fields.Integer(required=True, metadata={"description": "The spreadsheet line."})
    field = fields.String(required=True)
    message = fields.String(required=True)


class DryRunSchema(ma.Schema):
    good_rows = fields.Integer(required=True)
    errors = fields.List(fields.Nested(ImportErrorSchema), required=True)


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """413 as a problem, naming the limit."""
    return problem(413, too_large_message())


@blp.route("/households/import", methods=["POST"])
@blp.arguments(ImportArgs, location="query")
@blp.arguments(ImportFileSchema, location="files")
@blp.response(201, ImportResultSchema)
@blp.alt_response(
    200,
    schema=DryRunSchema,
    description="dry_run=true: the file was checked and nothing was imported.",
)
@problems(blp, 400, 401, 403, 409, 413, 422, 429)
@require("households.import")
@writes_late
def import_households(args, files):
    """Import a spreadsheet of households: every row, or none (422 lists every bad row)."""
    upload = files["file"]
    content = upload.read(import_service.MAX_UPLOAD_BYTES + 1)
    if len(content) > import_service.MAX_UPLOAD_BYTES:
        return problem(413, too_large_message())
    user = acting_user()
    with import_service.claim_check(db.session, user):  # 429 while one of theirs is checked
        checked = import_service.check_spreadsheet(
            db.session, content, upload.filename or "", today=local_today()
        )
    if args["dry_run"]:
        return jsonify(
            {"good_rows": checked.good_rows, "errors": [e.as_dict() for e in checked.errors]}
        )
    # Reading and checking took a read snapshot only: the insert is a write transaction
    # of its own, so SQLite's write lock is held for the insert alone.
    with transaction(db.session, write=True):
        import_service.import_households(db.session, checked, user=user)
    return {"imported": checked.good_rows}
