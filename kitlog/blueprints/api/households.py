"""Households: register, search, correct (field officers, admin). Personal data: never a
donor's."""

from __future__ import annotations

import marshmallow as ma
from flask import request
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    ApiBlueprint,
    Flag,
    IsoDate,
    LocalDateTime,
    PageArgs,
    Text,
    acting_user,
    page_of,
    record_action,
)
from kitlog.blueprints.api.problems import PROBLEM_JSON, READ, WRITE, ProblemSchema, problems
from kitlog.blueprints.web import local_today
from kitlog.extensions import db
from kitlog.models import HOUSEHOLD_STATUSES, RELATIONS, VULNERABILITIES, Household
from kitlog.models.base import utcnow
from kitlog.security import require
from kitlog.services import households as household_service
from kitlog.services import personal_data

blp = ApiBlueprint("api_households", __name__, description="Migrant workers' households")


# -- schemas -------------------------------------------------------------------------------


class HouseholdWriteSchema(ma.Schema):
    """A household's values. The service checks and normalises every value and lists
    every bad one; here only the JSON types are checked. On PUT, a field left out
    keeps its value."""

    head_name = Text(200, allow_none=True, metadata={"example": "Siti Rahayu"})
    worker_name = Text(200, allow_none=True, metadata={"example": "Agus Santoso"})
    worker_relation = Text(
        40, allow_none=True, metadata={"enum": list(RELATIONS), "example": "spouse"}
    )
    nik = Text(
        40,
        allow_none=True,
        metadata={
            "description": "16 digits, as a string (a JSON number would lose digits).",
            "example": "3507124506850001",
        },
    )
    phone = Text(
        40,
        allow_none=True,
        metadata={"description": "08…, +62… or 62…; stored as +62….", "example": "0812 3456 7890"},
    )
    province = Text(
        100,
        allow_none=True,
        metadata={"description": "One of the 38 provinces: name, common alias or code."},
    )
    regency = Text(200, allow_none=True, metadata={"example": "Kabupaten Malang"})
    district = Text(200, allow_none=True, metadata={"example": "Turen"})
    village = Text(200, allow_none=True, metadata={"example": "Sedayu"})
    village_code = Text(
        20,
        allow_none=True,
        metadata={
            "description": "The village's official Kemendagri code, with or without dots;"
            " kitlog then fills the four names (given too, they must agree).",
            "example": "35.07.09.1008",
        },
    )
    members = fields.Integer(strict=True, allow_none=True, metadata={"example": 4})
    vulnerabilities = fields.List(
        Text(40),
        allow_none=True,
        validate=validate.Length(max=10),
        metadata={"items": {"enum": list(VULNERABILITIES)}, "example": ["elderly", "under5"]},
    )
    consent = Flag(allow_none=True)
    consent_date = IsoDate(
        allow_none=True, metadata={"description": "Default: today, when consent is true."}
    )
    status = Text(20, allow_none=True, metadata={"enum": list(HOUSEHOLD_STATUSES)})
    confirm_duplicate = Flag(
        load_default=False,
        metadata={
            "description": "true registers a household that looks like one already "
            "registered (the 409's possible_duplicates), after checking them."
        },
    )


class ParcelSummarySchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "The parcel's short code."})
    round = fields.Integer(required=True, metadata={"description": "The round's id."})
    round_name = fields.String(required=True)
    kits = fields.Integer(required=True)
    status = fields.String(required=True)
    changed_at = LocalDateTime(
        required=True, metadata={"description": "When the status last changed."}
    )


class HouseholdSchema(ma.Schema):
    code = fields.String(required=True, metadata={"example": "HH-000001"})
    head_name = fields.String(required=True)
    worker_name = fields.String(required=True)
    worker_relation = fields.String(required=True, metadata={"enum": list(RELATIONS)})
    nik = fields.String(
        required=True,
        metadata={
            "description": "In full on one household's record (and in the answer to a"
            " registration or a correction); in a list, masked to its last four digits:"
            " `************0001`.",
            "example": "3507124506850001",
        },
    )
    phone = fields.String(
        required=True,
        metadata={
            "description": "In full on one household's record (and in the answer to a"
            " registration or a correction); in a list, masked to its country code and"
            " last four digits: `+62*******7890`. Empty when unknown.",
            "example": "+6281234567890",
        },
    )
    province = fields.String(required=True)
    regency = fields.String(required=True)
    district = fields.String(required=True)
    village = fields.String(required=True)
    province_code = fields.String(allow_none=True, metadata={"example": "35"})
    regency_code = fields.String(allow_none=True, metadata={"example": "35.07"})
    district_code = fields.String(allow_none=True, metadata={"example": "35.07.09"})
    village_code = fields.String(
        allow_none=True,
        metadata={
            "description": "Null only for a household registered before kitlog knew the"
            " official places, whose names matched none.",
            "example": "35.07.09.1008",
        },
    )
    members = fields.Integer(required=True)
    vulnerabilities = fields.List(fields.String(), required=True)
    consent = fields.Boolean(required=True)
    consent_date = fields.Date(allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(HOUSEHOLD_STATUSES)})
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)


class HouseholdDetailSchema(HouseholdSchema):
    parcels = fields.List(
        fields.Nested(ParcelSummarySchema),
        required=True,
        metadata={"description": "Every parcel of every round, newest first."},
    )


class HouseholdArgs(PageArgs):
    q = Text(
        100,
        metadata={
            "description": "A household code or a 16-digit NIK finds that one; other text "
            "is looked for in the head's and worker's names and the village."
        },
    )
    province = Text(100, metadata={"description": "A province: name, alias or code."})
    regency = Text(
        200,
        metadata={"description": "A regency or city: name (Malang: both) or code (35.07)."},
    )


class DuplicateProblemSchema(ProblemSchema):
    """409: the NIK is registered (`existing`), or a look-alike needs confirming."""

    existing = fields.String(metadata={"description": "The household with this NIK."})
    possible_duplicates = fields.List(
        fields.String(),
        metadata={"description": "Households that look the same; resend with confirm_duplicate."},
    )


def duplicate_problem(view):
    return blp.alt_response(
        409,
        schema=DuplicateProblemSchema,
        content_type=PROBLEM_JSON,
        description="The NIK is already registered, or the household looks like one that is.",
    )(view)


# -- answers -------------------------------------------------------------------------------


def _dump(household: Household) -> dict:
    values = household_service.household_values(household)
    return {
        "code": household.code,
        **values,
        "province_code": household.province_code,
        "regency_code": household.regency_code,
        "district_code": household.district_code,
        "created_at": household.created_at,
        "updated_at": household.updated_at,
    }


def _dump_masked(household: Household) -> dict:
    """A household in a list: its NIK and phone masked (the record has them in full)."""
    answer = _dump(household)
    answer["nik"] = personal_data.mask_nik(answer["nik"])
    answer["phone"] = personal_data.mask_phone(answer["phone"])
    return answer


def _dump_detail(household: Household) -> dict:
    parcels = household_service.household_parcels(db.session, household)
    return {
        **_dump(household),
        "parcels": [
            {
                "code": parcel.short_code,
                "round": parcel.round_id,
                "round_name": parcel.round.name,
                "kits": parcel.kits,
                "status": parcel.status,
                "changed_at": household_service.parcel_last_change(parcel),
            }
            for parcel in parcels
        ],
    }


# -- endpoints -----------------------------------------------------------------------------


@blp.route("/households", methods=["POST"])
@blp.arguments(HouseholdWriteSchema)
@blp.response(201, HouseholdSchema)
@problems(blp, *WRITE, 422)
@duplicate_problem
@require("households.write")
def create_household(data):
    """Register a household: 409 when its NIK is registered or it looks like one that is."""
    confirm = data.pop("confirm_duplicate")
    raw = {name: data.get(name) for name, _field in household_service.HOUSEHOLD_FIELDS}
    household = household_service.register_household(
        db.session, raw, user=acting_user(), confirm_duplicate=confirm, today=local_today()
    )
    return _dump(household)


@blp.page_route(
    "/households",
    HouseholdSchema,
    "HouseholdPage",
    HouseholdArgs,
    description="A page of households, their NIK and phone masked to the last four digits"
    " (one household's record has them in full). Each page read is logged, and a user reads"
    " at most 500 households an hour (an administrator 5,000): past that, 429 with"
    " Retry-After.",
)
@problems(blp, *READ, 422, 429)
@require("households.read")
def list_households(args):
    """Search households by name, code, NIK or village; by province and regency."""
    query = household_service.households_query(
        args.get("q", ""), province=args.get("province"), regency=args.get("regency")
    )
    answer = page_of(query, args["page"], args["per_page"], _dump_masked)
    personal_data.record_list_read(
        db.session,
        user=acting_user(),
        count=len(answer["items"]),
        page=args["page"],
        per_page=args["per_page"],
        list_filter=personal_data.ListFilter(
            q=args.get("q", ""), province=args.get("province"), regency=args.get("regency")
        ),
        address=request.remote_addr,
        now=utcnow(),
    )
    return answer


@blp.route("/households/<code:code>", methods=["GET"])
@blp.response(200, HouseholdDetailSchema)
@problems(blp, *READ, 404, 429)
@require("households.read")
def get_household(code):
    """One household, with every parcel it was allocated in every round; its NIK and
    phone in full (each read is logged and counts towards the hourly limit)."""
    household = household_service.get_household(db.session, code)
    personal_data.record_view(
        db.session, household.code, user=acting_user(), address=request.remote_addr, now=utcnow()
    )
    return _dump_detail(household)


@blp.route("/households/<code:code>", methods=["PUT"])
@blp.arguments(HouseholdWriteSchema)
@blp.response(200, HouseholdSchema)
@problems(blp, *WRITE, 404, 422)
@duplicate_problem
@require("households.write")
def update_household(data, code):
    """Correct a household; fields left out keep their value; the code never changes."""
    household = household_service.get_household(db.session, code)
    confirm = data.pop("confirm_duplicate")
    raw = household_service.changed_values(household, data)
    if raw["consent"] and not household.consent and "consent_date" not in data:
        raw["consent_date"] = None  # consent given now: dated today
    household_service.update_household(
        db.session,
        household,
        raw,
        user=acting_user(),
        confirm_duplicate=confirm,
        today=local_today(),
    )
    record_action("household.edit", "household", household.code)
    return _dump(household)
