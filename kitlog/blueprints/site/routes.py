"""The site station (/site/): one of today's distribution sites, a household's card
scanned or typed, its household and parcels, and the handover in one tap (or with the
parcel's label when the round asks for the card). site.js does the same through the
outbox and, offline, from the site's day saved on the phone; these views are the plain
forms beneath it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from kitlog.blueprints.api.cards_lookup import dump_lookup
from kitlog.blueprints.site import bp
from kitlog.extensions import db
from kitlog.models import DistributionSite
from kitlog.security import require
from kitlog.services import parcel_actions, sites
from kitlog.services import scans as scan_service
from kitlog.services.errors import DomainError
from kitlog.services.parcel_codes import format_short_code
from kitlog.unit_of_work import discard

MAX_FIELD = 2000


def _chosen(today: list[DistributionSite]) -> DistributionSite | None:
    """The site the request names among today's; the only one when there is one."""
    wanted = request.values.get("site", "")
    for site in today:
        if str(site.id) == wanted:
            return site
    return today[0] if len(today) == 1 else None


def _collector(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 10 else None


def _hand_over(card):
    """The plain form's handover: a deliver scan with the card and the recipient."""
    form = request.form
    choice = form.get("collector", "")
    other = choice == "other"  # "head": no name, the head took it; else a collector's id
    data = scan_service.ScanInput(
        code=form.get("parcel", "")[:MAX_FIELD],
        action="deliver",
        idempotency_key=form.get("key", "")[:100] or str(uuid.uuid4()),
        scanned_at=datetime.now(UTC),
        card=card,
        collector=_collector(choice),
        recipient_name=form.get("recipient_name", "")[:200] if other else "",
        recipient_relation=form.get("recipient_relation", "")[:60] if other else "",
    )
    try:
        answer = scan_service.record_scan(db.session, data, user=current_user)
    except DomainError as error:
        discard()
        return {"outcome": "refused", "code": data.code, "detail": str(error.message)}
    return {
        "outcome": answer.outcome,
        "code": format_short_code(answer.parcel.short_code) if answer.parcel else data.code,
        "detail": answer.detail,
    }


@bp.route("/site/", methods=["GET", "POST"])
@require("scans.field")
def station():
    """The distribution site station: scan a household's card, hand over its parcels."""
    today = sites.sites_today(db.session)
    site = _chosen(today)
    card = request.form.get("card", "").strip()[:MAX_FIELD] if request.method == "POST" else ""
    found, problem, result, status = None, None, None, 200
    if card and site is not None:
        if request.form.get("op") == "deliver":
            result = _hand_over(card)
            status = 200 if result["outcome"] in ("ok", "duplicate") else 409
        try:
            found = dump_lookup(sites.lookup_card(db.session, card), names=True)
        except DomainError as error:  # a card nobody holds (404), a replaced card (409)
            problem, status = str(error.message), error.status
    elif request.method == "POST" and site is not None:
        problem, status = _("Scan the household's card, or type its short code."), 422
    count = sites.site_count(db.session, site) if site is not None else None
    actions = parcel_actions.as_json()
    return (
        render_template(
            "site/station.html",
            today=today,
            site=site,
            place=sites.place_name(site) if site is not None else "",
            count=count,
            card=card,
            found=found,
            problem=problem,
            result=result,
            key=str(uuid.uuid4()),
            words={action["name"]: action["words"] for action in actions["actions"]},
        ),
        status,
    )
