"""Everything the templates are given beyond a view's own context: the filters that show a
stored code by its display name (kitlog.names) and the globals the pages share.

`init_app` registers all of them on the app, once, from `create_app`; no blueprint adds a
filter or a global of its own, so what a template may use is listed here.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from kitlog import names, stylesheet
from kitlog.blueprints.distribution.sites import site_section
from kitlog.blueprints.door.routes import phone_time_differs
from kitlog.blueprints.scan.routes import outbox_context
from kitlog.extensions import db
from kitlog.forms import field_errors
from kitlog.i18n import current_language
from kitlog.models import DeliveryProof, Parcel
from kitlog.security import can
from kitlog.services import proofs, time_zones
from kitlog.services.households import parcel_last_change
from kitlog.services.parcel_codes import format_short_code
from kitlog.services.personal_data import mask_nik, mask_phone


def delivery_proof(parcel: Parcel) -> DeliveryProof | None:
    """The parcel's proof of delivery, for those who may see it (never a donor or the
    warehouse: it shows who took the parcel)."""
    return proofs.of_parcel(db.session(), parcel) if can("parcels.proof") else None


FILTERS: dict[str, Callable[..., str]] = {
    "role_label": names.role_name,
    "language_label": names.language_name,
    "kind_label": names.movement_kind_name,
    "reason_label": names.reason_name,
    "round_status_label": names.round_status_name,
    "round_status_tone": names.round_status_tone,
    "parcel_status_label": names.parcel_status_name,
    "parcel_event_label": names.parcel_event_name,
    "parcel_status_tone": names.parcel_status_tone,
    "manifest_status_label": names.manifest_status_name,
    "fail_reason_label": names.fail_reason_name,
    "recipient_relation_label": names.recipient_relation_name,
    "layout_label": names.layout_name,
    "proof_kind_name": names.proof_kind_name,
    "verification_name": names.verification_name,
    "round_mode_name": names.round_mode_name,
    "parcel_flag_name": names.parcel_flag_name,
    "feedback_category_name": names.feedback_category_name,
    # a kit type and a line of its contents, in the page's language
    "kit_name": names.kit_type_name,
    "kit_item_name": names.kit_item_name,
    "short_code": format_short_code,
    # a moment on the clock of a warehouse (or the deployment), with its zone: WIB, WITA
    "local_time": time_zones.format_local,
    # Flask-Babel's own filters, replaced: English dates day first (7 Dec 2026)
    "dateformat": time_zones.format_day,
    "datetimeformat": time_zones.format_moment,
    "zone_label": time_zones.zone_label,
    "feedback_channel_name": names.feedback_channel_name,
    "feedback_status_name": names.feedback_status_name,
    "feedback_status_tone": names.feedback_status_tone,
}

GLOBALS: dict[str, object] = {
    # the display names a page looks a code up in, or lists (the language menu)
    "language_labels": names.LANGUAGE_NAMES,
    "relation_labels": names.RELATION_NAMES,
    "vulnerability_labels": names.VULNERABILITY_NAMES,
    "vulnerability_badges": names.VULNERABILITY_BADGE_NAMES,
    "status_labels": names.HOUSEHOLD_STATUS_NAMES,
    "parcel_status_labels": names.PARCEL_STATUS_NAMES,
    "parcel_tones": names.PARCEL_STATUS_TONES,
    # functions of the request or of a record
    "can": can,
    "current_language": current_language,
    "outbox_context": outbox_context,
    "phone_time_differs": phone_time_differs,
    "parcel_last_change": parcel_last_change,
    "mask_phone": mask_phone,
    "mask_nik": mask_nik,
    "delivery_proof": delivery_proof,
    # a site round's distribution sites, for the round's page
    "site_section": site_section,
    # the refusals listed at the top of a refused form, each a link to its field
    "field_errors": field_errors,
    # kitlog.css, two small scripts and the logo written into an offline page until its
    # service worker holds them (kitlog.stylesheet)
    "inline_stylesheet": stylesheet.inline_stylesheet,
    "inline_script": stylesheet.inline_script,
    "inline_logo": stylesheet.LOGO_URL,
    "stylesheet_version": stylesheet.VERSION,
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
