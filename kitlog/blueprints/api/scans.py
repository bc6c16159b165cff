"""Scans of parcels: pack, load, deliver, fail, return; one at a time or as a batch."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    page_of,
)
from kitlog.blueprints.api.distribution import ParcelSchema, dump_parcel
from kitlog.blueprints.api.problems import PROBLEM_JSON, READ, WRITE, ProblemSchema, problems
from kitlog.blueprints.api.validation import validation_errors
from kitlog.errors import problem, translated_title
from kitlog.extensions import db
from kitlog.models import FAIL_REASONS, SCAN_ACTIONS, Parcel, Role, Scan
from kitlog.security import SCAN_ACTION_PERMISSIONS, can, require
from kitlog.services import scans as service
from kitlog.services.errors import DomainError, FieldError, InvalidValues
from kitlog.services.parcel_codes import format_short_code

blp = ApiBlueprint(
    "api_scans",
    __name__,
    description="Scans of parcels: pack, load, deliver, fail, return; one at a time or as a batch",
)

MAX_BATCH = 500
OUTCOMES = ["ok", "refused", "duplicate", "unknown", "invalid", "forbidden"]


# -- schemas -------------------------------------------------------------------------------


class IdOrNumber(fields.Field):
    """A manifest's id (a JSON integer) or its number (SBY-01/2026/0001)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ma.ValidationError(gettext("Give the manifest's id or number."))
        if isinstance(value, str) and len(value) > 40:
            raise ma.ValidationError(gettext("Keep this under %(n)s characters.", n=40))
        return value


class ScanSchema(ma.Schema):
    code = Text(
        2000,
        required=True,
        metadata={"description": "The short code, the token or the whole QR URL."},
    )
    action = fields.String(required=True, metadata={"enum": list(SCAN_ACTIONS)})
    idempotency_key = fields.String(
        required=True,
        metadata={
            "description": "8-64 characters of A-Z a-z 0-9 . _ : - (a UUID); the same key"
            " again repeats the first answer.",
            "pattern": r"^[A-Za-z0-9._:-]{8,64}$",
        },
    )
    scanned_at = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"format": "date-time", "description": "The device's clock, with its offset."},
    )
    manifest = IdOrNumber(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "For load: the manifest's id or number.",
            "oneOf": [{"type": "integer"}, {"type": "string"}],
        },
    )
    lat = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    lon = fields.Float(load_default=None, allow_none=True, allow_nan=False)
    recipient_name = Text(120, load_default="", allow_none=True)
    recipient_relation = Text(40, load_default="", allow_none=True)
    reason = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"enum": list(FAIL_REASONS), "description": "For fail: why."},
    )
    note = Text(500, load_default="", allow_none=True)
    proof = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "For deliver: the signature or photo kept with the delivery,"
            " {kind: signature | photo, image: base64 PNG or JPEG of at most 300 KB"
            " decoded}. Checked to be such an image; a round may require one.",
            "properties": {
                "kind": {"type": "string", "enum": ["signature", "photo"]},
                "image": {"type": "string", "format": "byte"},
            },
        },
    )
    card = Text(
        2000,
        load_default="",
        allow_none=True,
        metadata={
            "description": "For deliver: the household's card (its token, short code or URL)."
            " A round with verification `card` needs it; any card given must be the parcel's"
            " household's current card."
        },
    )
    collector = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={
            "description": "For deliver: the id of the household's collector who took the"
            " parcel, instead of recipient_name and recipient_relation."
        },
    )
    checked_offline = fields.Boolean(
        load_default=False,
        metadata={
            "description": "For deliver: the phone accepted the card offline (from the saved"
            " trip). When the server refuses the card, the parcel is flagged for follow-up."
        },
    )


class ScanParcelSchema(ParcelSchema):
    actions = fields.List(
        fields.String(metadata={"enum": list(SCAN_ACTIONS)}),
        metadata={"description": "What the parcel's state allows now."},
    )


class ScanAnswerSchema(ma.Schema):
    outcome = fields.String(required=True, metadata={"enum": OUTCOMES})
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "Why it was refused."})
    idempotency_key = fields.String()
    parcel = fields.Nested(ScanParcelSchema, allow_none=True)


class ScanProblemSchema(ProblemSchema):
    """409 refused (the parcel's state forbids it) or 404 unknown code."""

    outcome = fields.String(metadata={"enum": ["refused", "unknown", "duplicate"]})
    idempotency_key = fields.String()
    parcel = fields.Nested(ScanParcelSchema, allow_none=True)


class ScanItemsField(fields.List):
    """The batch's scans: a list whose items are read one by one, each standing alone."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        return list(value)


class ScanBatchSchema(ma.Schema):
    scans = ScanItemsField(
        fields.Nested(ScanSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_BATCH),
    )


class ScanBatchResultSchema(ScanAnswerSchema):
    idempotency_key = fields.String(
        allow_none=True,
        metadata={"description": "As the scan gave it; null when it gave none, or not a text."},
    )
    errors = fields.List(fields.Dict(), metadata={"description": "For a 422: what is wrong."})


class ScanBatchAnswerSchema(ma.Schema):
    results = fields.List(fields.Nested(ScanBatchResultSchema), required=True)


class ScanListArgs(PageArgs):
    mine = fields.Boolean(
        load_default=True,
        metadata={"description": "Only my scans (admins may ask for everyone's: false)."},
    )


class ScanParcelRefSchema(ma.Schema):
    code = fields.String(required=True)
    token = fields.String(required=True)
    status = fields.String(required=True)


class ScanItemSchema(ma.Schema):
    id = fields.Integer(required=True)
    idempotency_key = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "As scanned or typed."})
    action = fields.String(required=True)
    outcome = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    parcel = fields.Nested(ScanParcelRefSchema, allow_none=True)
    manifest = fields.String(allow_none=True, metadata={"description": "Its number."})
    reason = fields.String(allow_none=True)
    scanned_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime(required=True)
    user = fields.String(allow_none=True)


# -- answers -------------------------------------------------------------------------------


def _dump_scan_parcel(parcel: Parcel | None) -> dict | None:
    if parcel is None:
        return None
    return {**dump_parcel(parcel), "actions": service.allowed_actions(parcel)}


def _scanned_at(text: str | None) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise InvalidValues(
            [FieldError("scanned_at", _l("Give the time in ISO 8601 with its offset."))]
        )
    return moment


def _input(data: dict) -> service.ScanInput:
    return service.ScanInput(
        code=data["code"],
        action=data["action"],
        idempotency_key=data["idempotency_key"],
        scanned_at=_scanned_at(data.get("scanned_at")),
        manifest=data.get("manifest"),
        lat=data.get("lat"),
        lon=data.get("lon"),
        recipient_name=data.get("recipient_name") or "",
        recipient_relation=data.get("recipient_relation") or "",
        reason=data.get("reason"),
        note=data.get("note") or "",
        proof=data.get("proof"),
        card=data.get("card") or "",
        collector=data.get("collector"),
        checked_offline=bool(data.get("checked_offline")),
    )


def _forbidden(action: str) -> bool:
    permission = SCAN_ACTION_PERMISSIONS.get(action)
    return permission is not None and not can(permission)


def _result(result: service.ScanResult, key: str) -> dict:
    answer = {
        "outcome": result.outcome,
        "status": result.status,
        "idempotency_key": key,
        "parcel": _dump_scan_parcel(result.parcel),
    }
    if result.detail:
        answer["detail"] = result.detail
    return answer


def _domain_result(error: DomainError, key) -> dict:
    field_errors = getattr(error, "errors", None) or (
        [FieldError(error.field, error.message)] if error.field else []
    )
    return {
        "outcome": "invalid" if error.status == 422 else "refused",
        "status": error.status,
        "detail": str(error),
        "idempotency_key": key if isinstance(key, str) else None,
        "errors": [e.as_dict() for e in field_errors],
        "parcel": None,
    }


def _forbidden_result(key) -> dict:
    return {
        "outcome": "forbidden",
        "status": 403,
        "detail": gettext("Your role does not allow this."),
        "idempotency_key": key if isinstance(key, str) else None,
        "parcel": None,
    }


# -- views ---------------------------------------------------------------------------------


@blp.route("/scans", methods=["POST"])
@blp.arguments(ScanSchema)
@blp.response(200, ScanAnswerSchema)
@blp.alt_response(409, schema=ScanProblemSchema, content_type=PROBLEM_JSON)
@blp.alt_response(404, schema=ScanProblemSchema, content_type=PROBLEM_JSON)
@problems(blp, *WRITE, 422)
@require("scans.write")
def create_scan(data):
    """Scan a parcel: 200 ok, 409 refused (saying why), 404 unknown code; a known key
    repeats its first answer as a duplicate."""
    scan_input = _input(data)
    if _forbidden(scan_input.action):
        return problem(403)
    result = service.record_scan(db.session, scan_input, user=acting_user())
    # The answer is built before the request commits, from what this transaction wrote
    # and read under the parcel's lock. If the commit fails, this answer is never sent.
    answer = _result(result, scan_input.idempotency_key)
    if result.status == 200:
        return answer
    detail = answer.pop("detail", None) or translated_title(result.status)
    answer.pop("status")
    return problem(result.status, detail, **answer)


@blp.route("/scans/batch", methods=["POST"])
@blp.arguments(ScanBatchSchema)
@blp.response(200, ScanBatchAnswerSchema)
@problems(blp, *WRITE, 422)
@require("scans.write")
def create_scans(data):
    """Many scans (the offline queue), answered in order; each stands or falls alone."""
    schema = ScanSchema()
    results = []
    for item in data["scans"]:
        key = item.get("idempotency_key") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise ma.ValidationError({"_schema": ["Not a valid mapping type."]})
            loaded = schema.load(item)
        except ma.ValidationError as error:
            errors = validation_errors({"json": error.messages})
            results.append(
                {
                    "outcome": "invalid",
                    "status": 422,
                    "detail": gettext("Some values are not valid."),
                    "idempotency_key": key if isinstance(key, str) else None,
                    "errors": errors,
                    "parcel": None,
                }
            )
            continue
        try:
            scan_input = _input(loaded)
            if _forbidden(scan_input.action):
                results.append(_forbidden_result(key))
                continue
            # one scan's refusal undoes that scan alone; the request commits the others
            with db.session.begin_nested():
                result = service.record_scan(db.session, scan_input, user=acting_user())
        except DomainError as error:
            results.append(_domain_result(error, key))
            continue
        results.append(_result(result, scan_input.idempotency_key))
    return {"results": results}


@blp.page_route("/scans", ScanItemSchema, "ScanPage", ScanListArgs)
@problems(blp, *READ, 422)
@require("scans.write")
def list_scans(args):
    """Recent scans, newest first: the user's own (an admin may ask for everyone's)."""
    query = (
        select(Scan)
        .options(selectinload(Scan.user), selectinload(Scan.manifest))
        .order_by(Scan.id.desc())
    )
    user = acting_user()
    if args["mine"] or user.role != Role.ADMIN:
        query = query.where(Scan.user_id == user.id)
    return page_of(query, args["page"], args["per_page"], dump_all=_dump_scans)


def _dump_scans(scans) -> list[dict]:
    parcel_ids = {s.parcel_id for s in scans if s.parcel_id is not None}
    parcels = {
        p.id: p
        for p in (
            db.session.scalars(select(Parcel).where(Parcel.id.in_(parcel_ids)))
            if parcel_ids
            else []
        )
    }
    items = []
    for scan in scans:
        parcel = parcels.get(scan.parcel_id) if scan.parcel_id is not None else None
        items.append(
            {
                "id": scan.id,
                "idempotency_key": scan.idempotency_key,
                "code": scan.code,
                "action": scan.action,
                "outcome": scan.outcome,
                "status": scan.status_code,
                "detail": scan.detail,
                "parcel": (
                    {
                        "code": format_short_code(parcel.short_code),
                        "token": parcel.token,
                        "status": parcel.status,
                    }
                    if parcel is not None
                    else None
                ),
                "manifest": scan.manifest.number if scan.manifest is not None else None,
                "reason": scan.reason,
                "scanned_at": scan.scanned_at,
                "created_at": scan.created_at,
                "user": scan.user.name if scan.user is not None else None,
            }
        )
    return items
