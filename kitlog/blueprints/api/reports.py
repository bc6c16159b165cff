"""Donor reports (docs/api.md, Reports)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from kitlog.blueprints.api.common import ApiBlueprint, LocalDateTime
from kitlog.blueprints.api.problems import READ, problems
from kitlog.blueprints.reports.common import build_report, report_data, report_donor
from kitlog.security import require

blp = ApiBlueprint("api_reports", __name__, description="Donor reports: aggregates only")


class LossSchema(ma.Schema):
    reason = fields.String(required=True, metadata={"example": "damaged at receipt"})
    kits = fields.Integer(required=True)


class ReportBatchSchema(ma.Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"description": "Agreement or grant."})
    lot = fields.String()
    kit_type = fields.String(metadata={"description": "The kit type's code."})
    warehouse = fields.String(metadata={"description": "The receiving warehouse's code."})
    received_date = fields.Date()
    expiry_date = fields.Date(allow_none=True)
    pledged = fields.Integer(required=True)
    received = fields.Integer(required=True)
    lost = fields.Integer(required=True, metadata={"description": "Kits written off as loss."})
    lost_by_reason = fields.List(fields.Nested(LossSchema))
    adjusted = fields.Integer(required=True, metadata={"description": "Signed adjustments."})
    on_hand = fields.Integer(required=True, metadata={"description": "Reserved included."})
    reserved = fields.Integer(required=True)
    in_transit = fields.Integer(required=True)
    delivered = fields.Integer(required=True)
    households_reached = fields.Integer(required=True)
    people_reached = fields.Integer(required=True)
    reconciled = fields.Boolean()


class ReportRegionSchema(ma.Schema):
    province = fields.String(required=True)
    province_code = fields.String(
        metadata={"description": "Kemendagri code, e.g. 35 (the CSV's #adm1+code is ID35)."}
    )
    regency = fields.String(required=True)
    regency_code = fields.String(
        metadata={
            "description": "Kemendagri code with its dot, e.g. 35.07 (the CSV's #adm2+code is"
            " ID3507); empty for households whose regency has no code yet (registered before"
            " kitlog knew the official places; see `kitlog places check`)."
        }
    )
    delivered = fields.Integer(required=True, metadata={"description": "Kits."})
    households_targeted = fields.Integer(
        required=True,
        metadata={
            "description": "Households with a parcel of the donor's kits that is not cancelled."
        },
    )
    households_reached = fields.Integer(required=True)
    people_reached = fields.Integer(required=True)
    vulnerable_households_reached = fields.Integer()
    delivered_to_collector = fields.Integer(
        metadata={
            "description": "Parcels delivered there that a collector, named by the household,"
            " took for it (a count: never who)."
        }
    )
    first_delivery = fields.Date(
        allow_none=True, metadata={"description": "First day a kit was delivered there."}
    )
    last_delivery = fields.Date(allow_none=True)


class ReportDaySchema(ma.Schema):
    date = fields.Date(required=True, metadata={"description": "In KITLOG_TIMEZONE."})
    delivered = fields.Integer(required=True, metadata={"description": "Kits that day."})
    cumulative = fields.Integer(metadata={"description": "Kits delivered up to that day."})


class ExpiringBatchSchema(ma.Schema):
    id = fields.Integer(required=True)
    lot = fields.String(required=True)
    expiry_date = fields.Date(required=True)
    on_hand = fields.Integer(required=True)


class FeedbackCategorySchema(ma.Schema):
    category = fields.String(
        required=True,
        metadata={
            "description": "not_received, damaged, missing_items, wrong_person, staff_conduct,"
            " question or other: every one, in that order, zeros included."
        },
    )
    count = fields.Integer(required=True, metadata={"description": "Feedback received."})
    resolved = fields.Integer(metadata={"description": "Of which resolved or closed."})
    median_days_to_resolve = fields.Float(allow_none=True)


class ReportFeedbackSchema(ma.Schema):
    by_category = fields.List(fields.Nested(FeedbackCategorySchema), required=True)
    received = fields.Integer(metadata={"description": "Every category's feedback."})
    resolved = fields.Integer(
        required=True, metadata={"description": "Status resolved or closed, with its date."}
    )
    median_days_to_resolve = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "Median days from received to resolved, one decimal; null when"
            " none is resolved."
        },
    )


class ReportPdmSchema(ma.Schema):
    responses = fields.Integer(required=True)
    complete_rate = fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "Responses that received the parcel complete / responses (0 to 1);"
            " null when none."
        },
    )
    satisfaction_mean = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Mean satisfaction (1 to 5), one decimal; null when none."},
    )


class DonorReportSchema(ma.Schema):
    donor = fields.String(required=True, metadata={"example": "KOICA"})
    donor_name = fields.String()
    generated_at = LocalDateTime()
    today = fields.Date()
    timezone = fields.String(metadata={"example": "Asia/Jakarta"})
    batches = fields.List(fields.Nested(ReportBatchSchema), required=True)
    by_region = fields.List(fields.Nested(ReportRegionSchema), required=True)
    timeline = fields.List(fields.Nested(ReportDaySchema), required=True)
    target = fields.Integer(metadata={"description": "Kits pledged."})
    households_targeted = fields.Integer()
    households_reached = fields.Integer()
    people_reached = fields.Integer()
    vulnerable_households_reached = fields.Integer()
    parcels_delivered = fields.Integer()
    parcels_delivered_to_collector = fields.Integer(
        metadata={
            "description": "Delivered parcels that a collector, named by the household, took"
            " for it (a count: never who)."
        }
    )
    parcels_failed = fields.Integer(
        metadata={"description": "Parcels whose delivery failed and that were not delivered."}
    )
    parcels_failed_once = fields.Integer(
        metadata={"description": "Parcels with at least one failed delivery attempt."}
    )
    success_rate = fields.Float(
        allow_none=True,
        metadata={"description": "Delivered parcels / parcels whose delivery was attempted."},
    )
    expiring = fields.List(fields.Nested(ExpiringBatchSchema))
    reconciled = fields.Boolean(
        required=True,
        metadata={
            "description": "received + adjusted = lost + on_hand + in_transit + delivered,"
            " for every batch."
        },
    )
    feedback = fields.Nested(
        ReportFeedbackSchema,
        metadata={
            "description": "Feedback about the donor's parcels, or from households with one:"
            " counts only, never a text (sensitive feedback and staff conduct counted too)."
        },
    )
    pdm = fields.Nested(
        ReportPdmSchema,
        metadata={
            "description": "Post-distribution monitoring of the donor's parcels: counts, a rate"
            " and a mean, never a comment."
        },
    )


@blp.route("/reports/donors/<code:code>", methods=["GET"])
@blp.response(200, DonorReportSchema)
@problems(blp, *READ, 404)
@require("reports.read")
def donor_report(code):
    """One donor's report in kits: admin any donor, a donor user only their own (else 403)."""
    return report_data(build_report(report_donor(code)))
