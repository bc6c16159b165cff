"""Feedback and complaints recorded by staff: a field officer at the door (from the phone,
offline too, through the outbox) or whoever takes a hotline call; read by who may (the
service says who), and answered by an administrator."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask import jsonify, request
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    id_part,
    page_of_list,
)
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.models import FEEDBACK_CATEGORIES, FEEDBACK_STATUSES, Feedback
from kitlog.models.base import utcnow
from kitlog.models.feedback import FEEDBACK_CHANNELS, MAX_FEEDBACK_TEXT, MAX_RESPONSE
from kitlog.names import feedback_category_name
from kitlog.security import require
from kitlog.services import feedback as service
from kitlog.services.parcel_codes import format_short_code

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


# -- reading and answering it --------------------------------------------------------------


class FeedbackSchema(ma.Schema):
    """One entry as staff read it."""

    id = fields.Integer(required=True)
    number = fields.String(required=True, metadata={"example": "FB-2026-0001"})
    category = fields.String(required=True, metadata={"enum": list(FEEDBACK_CATEGORIES)})
    category_name = fields.String(
        required=True, metadata={"description": "In the reader's language."}
    )
    channel = fields.String(required=True, metadata={"enum": list(FEEDBACK_CHANNELS)})
    sensitive = fields.Boolean(required=True)
    household = fields.String(allow_none=True, metadata={"example": "HH-000123"})
    parcel = fields.String(allow_none=True, metadata={"example": "ABC-DEF-GHJ"})
    text = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(FEEDBACK_STATUSES)})
    response = fields.String(required=True, metadata={"description": "The current response."})
    created_at = LocalDateTime(required=True)
    created_by = fields.String(
        allow_none=True, metadata={"description": "Who recorded it; null from the public page."}
    )
    resolved_at = LocalDateTime(allow_none=True)
    days_open = fields.Integer(
        required=True,
        metadata={"description": "Whole days from when it was recorded until resolved, or now."},
    )


class FeedbackEventSchema(ma.Schema):
    at = LocalDateTime(required=True)
    user = fields.String(allow_none=True, metadata={"description": "Who, by name."})
    from_status = fields.String(allow_none=True, metadata={"enum": list(FEEDBACK_STATUSES)})
    status = fields.String(required=True, metadata={"enum": list(FEEDBACK_STATUSES)})
    response = fields.String(required=True)


class FeedbackDetailSchema(FeedbackSchema):
    events = fields.List(fields.Nested(FeedbackEventSchema), required=True)


class FeedbackArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(FEEDBACK_STATUSES))
    category = fields.String(validate=validate.OneOf(FEEDBACK_CATEGORIES))


class FeedbackStatusSchema(ma.Schema):
    """The service checks the values (status known, a response to resolve or close)."""

    status = Text(40, required=True, allow_none=True, metadata={"enum": list(FEEDBACK_STATUSES)})
    response = Text(
        MAX_RESPONSE * 2,
        load_default=None,
        allow_none=True,
        metadata={"description": "Required to resolve or close."},
    )


def dump_feedback(feedback: Feedback, now: datetime) -> dict:
    """An entry as the answers show it: codes, never a household's personal data."""
    return {
        "id": feedback.id,
        "number": feedback.number,
        "category": feedback.category,
        "category_name": feedback_category_name(feedback.category),
        "channel": feedback.channel,
        "sensitive": feedback.sensitive,
        "household": feedback.household.code if feedback.household is not None else None,
        "parcel": format_short_code(feedback.parcel.short_code)
        if feedback.parcel is not None
        else None,
        "text": feedback.text,
        "status": feedback.status,
        "response": feedback.response,
        "created_at": feedback.created_at,
        "created_by": feedback.created_by.name if feedback.created_by is not None else None,
        "resolved_at": feedback.resolved_at,
        "days_open": service.days_open(feedback, now),
    }


def dump_detail(feedback: Feedback, now: datetime) -> dict:
    return {
        **dump_feedback(feedback, now),
        "events": [
            {
                "at": event.created_at,
                "user": event.user.name if event.user is not None else None,
                "from_status": event.from_status,
                "status": event.status,
                "response": event.response,
            }
            for event in feedback.events
        ],
    }


@blp.page_route("/feedback", FeedbackSchema, "FeedbackPage", FeedbackArgs)
@problems(blp, *READ, 422)
@require("feedback.read")
def list_feedback(args):
    """Feedback and complaints, oldest first, with the days each has been open: an
    administrator all of them, a field officer the non-sensitive ones they recorded.
    Reading sensitive ones is audited (`feedback.sensitive_read`, their numbers)."""
    entries = service.visible_feedback(
        db.session(), acting_user(), status=args.get("status"), category=args.get("category")
    )
    answer = page_of_list(entries, args["page"], args["per_page"])
    service.audit_sensitive_reads(
        db.session(), answer["items"], user=acting_user(), address=request.remote_addr
    )
    now = utcnow()
    answer["items"] = [dump_feedback(entry, now) for entry in answer["items"]]
    return answer


@blp.route(f"/feedback/{id_part('feedback_id')}", methods=["GET"])
@blp.response(200, FeedbackDetailSchema)
@problems(blp, *READ, 404)
@require("feedback.read")
def get_feedback(feedback_id: int):
    """One entry with its history (who did what, when, with which response); 404 for a
    field officer asking for a sensitive entry or another officer's."""
    entry = service.readable_entry(db.session(), acting_user(), feedback_id=feedback_id)
    service.audit_sensitive_reads(
        db.session(), [entry], user=acting_user(), address=request.remote_addr
    )
    return dump_detail(entry, utcnow())


@blp.route(f"/feedback/{id_part('feedback_id')}/status", methods=["POST"])
@blp.arguments(FeedbackStatusSchema)
@blp.response(200, FeedbackDetailSchema)
@problems(blp, *WRITE, 404, 422)
@require("feedback.manage")
def change_feedback_status(data, feedback_id: int):
    """Move an entry to another status (any to any; it may be opened again) with a
    response, required to resolve or close (422 without); 200 with the entry."""
    user = acting_user()
    entry = service.readable_entry(db.session(), user, feedback_id=feedback_id)
    now = utcnow()
    service.change_status(
        db.session(), entry, data.get("status"), data.get("response"), user=user, now=now
    )
    service.audit_sensitive_reads(
        db.session(), [entry], user=user, address=request.remote_addr, in_transaction=True
    )
    db.session.refresh(entry)
    return dump_detail(entry, now)
