"""Label sheets (PDF) for a round's parcels."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, request
from flask_login import current_user
from marshmallow import fields, validate

from kitlog.blueprints.api.common import MAX_ID, ApiBlueprint, Text, resolve_id
from kitlog.blueprints.api.distribution import ROUND_ID, round_or_404
from kitlog.blueprints.api.problems import READ, problems
from kitlog.documents.labels import DEFAULT_LAYOUT, LAYOUTS
from kitlog.extensions import db
from kitlog.models import LabelPrinter
from kitlog.security import require
from kitlog.services import labels as service

blp = ApiBlueprint("api_labels", __name__, description="Label sheets (PDF) for a round's parcels")

PDF = {"type": "string", "format": "binary"}


class LabelArgs(ma.Schema):
    layout = Text(
        32,
        load_default=None,
        metadata={
            "enum": list(LAYOUTS),
            "description": f"The label sheet; default {DEFAULT_LAYOUT}, or the printer's.",
        },
    )
    status = Text(
        200,
        load_default=None,
        metadata={
            "description": "Only parcels of these statuses, comma-separated (allocated,packed);"
            " default: every parcel that is not cancelled."
        },
    )
    village = Text(100, load_default=None, metadata={"description": "Only this village's."})
    printer = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A saved label printer's id: its layout and X/Y offsets."},
    )
    part = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=service.MAX_PARTS),
        metadata={
            "description": "A choice of more labels than one file takes prints in parts of"
            f" at most {service.MAX_LABELS:,}, in the same order (village, household): 1, 2, …"
        },
    )

    @ma.pre_load
    def _drop_empty(self, data, **kwargs):
        return {key: value for key, value in data.items() if value != ""}


@blp.route(f"/rounds/{ROUND_ID}/labels.pdf", methods=["GET"])
@blp.arguments(LabelArgs, location="query")
@blp.response(
    200,
    PDF,
    content_type="application/pdf",
    description="One label per parcel: its QR code, short code, household, village, round"
    " and donor; never a NIK or a phone number.",
)
@problems(blp, *READ, 404, 409, 422)
@require("labels.print")
def round_labels(args, round_id):
    """A round's parcel labels as a PDF; 409 when no parcel matches the choice."""
    round_ = round_or_404(round_id)
    printer = resolve_id(LabelPrinter, args["printer"], "printer") if args["printer"] else None
    selection = service.select_labels(
        layout=args["layout"],
        printer=printer,
        statuses=(args["status"] or "").split(","),
        village=args["village"],
        part=args["part"],
    )
    sheet = service.render_round_labels(
        db.session,
        round_,
        selection,
        base_url=current_app.config["BASE_URL"],
        user=current_user,
        address=request.remote_addr,
    )
    return Response(
        sheet.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{sheet.filename}"',
            "X-Label-Count": str(sheet.labels),
            "X-Page-Count": str(sheet.pages),
        },
    )
