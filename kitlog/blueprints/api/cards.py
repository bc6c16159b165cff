"""Household cards: a household's card as PDF, sheets of ten for a village, a regency or
a round, and reissuing a lost card (field officers, admin)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, request
from marshmallow import fields, validate

from kitlog.blueprints.api.common import (
    MAX_ID,
    ApiBlueprint,
    LocalDateTime,
    Text,
    acting_user,
)
from kitlog.blueprints.api.problems import READ, WRITE, problems
from kitlog.extensions import db
from kitlog.security import require
from kitlog.services import card_prints
from kitlog.services import households as household_service
from kitlog.services.cards import card_url, issue_card, shown_code
from kitlog.services.locking import transaction

blp = ApiBlueprint(
    "api_cards", __name__, description="Household cards: printed, and reissued when lost"
)

PDF = {"type": "string", "format": "binary"}
PDF_HEADERS = {
    "X-Card-Count": {"description": "Cards in the file.", "schema": {"type": "integer"}},
    "X-Cards-Issued": {
        "description": "Cards issued for the file: households that had none.",
        "schema": {"type": "integer"},
    },
}


class CardSheetArgs(ma.Schema):
    village_code = Text(
        20,
        load_default=None,
        metadata={"description": "A village's official code: 35.07.09.1008 or 3507091008."},
    )
    regency_code = Text(
        20, load_default=None, metadata={"description": "A regency's official code: 35.07."}
    )
    round = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "A round's id: its households with a parcel not cancelled."},
    )
    part = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=card_prints.MAX_PARTS),
        metadata={
            "description": "A choice of more cards than one file takes prints in parts of at"
            f" most {card_prints.MAX_CARDS:,}, in the same order (village, household): 1, 2, …"
        },
    )

    @ma.pre_load
    def _drop_empty(self, data, **kwargs):
        return {key: value for key, value in data.items() if value != ""}


class CardSchema(ma.Schema):
    household = fields.String(required=True, metadata={"example": "HH-000001"})
    short_code = fields.String(
        required=True,
        metadata={"description": "The code printed on the card.", "example": "ABC-DEF-GHJ"},
    )
    issued_at = LocalDateTime(required=True)
    url = fields.String(
        required=True,
        metadata={
            "description": "The address the card's QR code holds; the card's PDF is"
            " GET /api/v1/households/{code}/card.pdf.",
        },
    )
    replaced = fields.String(
        allow_none=True,
        metadata={"description": "The short code of the card it replaces, which no longer works."},
    )


def _pdf(sheet: card_prints.CardSheet) -> Response:
    """The PDF as a download. A GET begins as a reader; one that may issue cards does its
    work in a write transaction of its own (on SQLite, a reader's snapshot that another
    writer moved past could not write)."""
    return Response(
        sheet.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{sheet.filename}"',
            "X-Card-Count": str(sheet.cards),
            "X-Cards-Issued": str(sheet.issued),
        },
    )


@blp.route("/households/cards.pdf", methods=["GET"])
@blp.arguments(CardSheetArgs, location="query")
@blp.response(
    200,
    PDF,
    content_type="application/pdf",
    headers=PDF_HEADERS,
    description="The chosen households' cards, ten to an A4 sheet with cutting marks, by"
    " village and household code; each carries its QR code, short code, household code, head"
    " of household, village and regency, never a NIK or a phone number.",
)
@problems(blp, *READ, 409, 422)
@require("cards.print")
def card_sheets(args):
    """Cards of a village's, a regency's or a round's active households (A4, 10 a sheet);
    households without a card get one issued. 422 when nothing is chosen, 409 when the
    choice matches no household or more than one file holds."""
    with transaction(db.session, write=True):  # a GET that may issue cards: see _pdf
        choice = card_prints.choose_cards(
            db.session,
            village_code=args["village_code"],
            regency_code=args["regency_code"],
            round_id=args["round"],
            part=args["part"],
        )
        sheet = card_prints.print_card_sheets(
            db.session,
            choice,
            base_url=current_app.config["BASE_URL"],
            user=acting_user(),
            address=request.remote_addr,
        )
    return _pdf(sheet)


@blp.route("/households/<code:code>/card.pdf", methods=["GET"])
@blp.response(
    200,
    PDF,
    content_type="application/pdf",
    headers=PDF_HEADERS,
    description="One card on a page of 85.6 × 54 mm (ID-1), for a card printer.",
)
@problems(blp, *READ, 404)
@require("cards.print")
def household_card(code):
    """A household's card as a PDF; a household without a card gets one issued first."""
    with transaction(db.session, write=True):  # a GET that may issue a card: see _pdf
        household = household_service.get_household(db.session, code)
        sheet = card_prints.print_card(
            db.session,
            household,
            base_url=current_app.config["BASE_URL"],
            user=acting_user(),
            address=request.remote_addr,
        )
    return _pdf(sheet)


@blp.route("/households/<code:code>/card", methods=["POST"])
@blp.response(201, CardSchema)
@problems(blp, *WRITE, 404)
@require("cards.print")
def reissue_card(code):
    """Issue the household a new card: the card it held stops working at once (a lost or
    stolen card). Print the new card from card.pdf."""
    household = household_service.get_household(db.session, code)
    replaced = household.card
    card = issue_card(db.session, household, user=acting_user(), address=request.remote_addr)
    return {
        "household": household.code,
        "short_code": shown_code(card),
        "issued_at": card.issued_at,
        "url": card_url(card, current_app.config["BASE_URL"]),
        "replaced": shown_code(replaced) if replaced is not None else None,
    }
