"""Feedback and complaints recorded by staff: a field officer at the door (from the phone,
offline too, through the outbox) or whoever takes a hotline call."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from marshmallow import fields

from kitlog.blueprints.api.common import ApiBlueprint, Text, acting_user
from kitlog.blueprints.api.problems import WRITE, problems
from kitlog.extensions import db
from kitlog.models import FEEDBACK_CATEGORIES
from kitlog.models.feedback import MAX_FEEDBACK_TEXT
from kitlog.security import require
from kitlog.services import feedback as service

blp = ApiBlueprint("api_feedback", __name__, description="Feedback and complaints")


class FeedbackWriteSchema(ma.Schema):
    """One entry as staff record it: the service checks the values and lists every bad
    one; here only the JSON types are checked."""

    household = Text(40, allow_none=True, metadata={"example": "HH-000123"})
    parcel = Text(
        2000,
        allow_none=True,
        metadata={"description": "The parcel's short code, token or QR URL (optional)."},
    )
    channel = fields.String(
        required=True,
        metadata={
            "enum": list(service.STAFF_CHANNELS),
            "description": "`officer`: recorded by a field officer; `phone`: a hotline"
            " call. `public` entries come only from the household's own page (/f/<card>).",
        },
    )
    category = fields.String(required=True, metadata={"enum": list(FEEDBACK_CATEGORIES)})
    sensitive = fields.Boolean(
        load_default=False,
        metadata={"description": "Administrators only; `staff_conduct` always is."},
    )
    text = Text(MAX_FEEDBACK_TEXT * 2, required=True, allow_none=True)
    idempotency_key = fields.String(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "A phone's key (8-64 of A-Z a-z 0-9 . _ : -): the same key again"
            " answers 200 with the first entry and records nothing new.",
        },
    )


class FeedbackCreatedSchema(ma.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "FB-2026-0001"})


@blp.route("/feedback", methods=["POST"])
@blp.arguments(FeedbackWriteSchema)
@blp.response(201, FeedbackCreatedSchema)
@blp.alt_response(200, schema=FeedbackCreatedSchema, description="The key was seen before.")
@problems(blp, *WRITE, 422)
@require("feedback.record")
def create_feedback(data):
    """Record feedback or a complaint: 201 with its number; 200 with the first entry when
    its idempotency key was seen before; 422 listing every bad value."""
    recorded = service.record_feedback(db.session, data, user=acting_user())
    answer = {"id": recorded.feedback.id, "number": recorded.feedback.number}
    if recorded.created:
        return answer
    return jsonify(answer), 200
