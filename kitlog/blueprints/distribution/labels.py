"""Translated labels for the stored statuses of rounds and parcels, and the badge tone
each status is shown in, so that a status reads the same on every page."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from kitlog.models.distribution import (
    PARCEL_STATUSES,
    ROUND_STATUSES,
    ParcelStatus,
    RoundStatus,
)

ROUND_STATUS_LABELS = {
    RoundStatus.DRAFT.value: _l("Draft"),
    RoundStatus.OPEN.value: _l("Open"),
    RoundStatus.CLOSED.value: _l("Closed"),
}

PARCEL_STATUS_LABELS = {
    ParcelStatus.ALLOCATED.value: _l("Allocated"),
    ParcelStatus.PACKED.value: _l("Packed"),
    ParcelStatus.DISPATCHED.value: _l("Dispatched"),
    ParcelStatus.DELIVERED.value: _l("Delivered"),
    ParcelStatus.FAILED.value: _l("Delivery failed"),
    ParcelStatus.RETURNED.value: _l("Returned"),
    ParcelStatus.CANCELLED.value: _l("Cancelled"),
}

# Badge classes of templates/_macros (badge-ok, badge-warn, badge-danger; plain otherwise).
ROUND_STATUS_TONES = {RoundStatus.OPEN.value: "ok", RoundStatus.DRAFT.value: "warn"}
PARCEL_STATUS_TONES = {
    ParcelStatus.DELIVERED.value: "ok",
    ParcelStatus.RETURNED.value: "warn",
    ParcelStatus.FAILED.value: "danger",
}

assert set(ROUND_STATUS_LABELS) == set(ROUND_STATUSES)  # noqa: S101 - a new status needs a label
assert set(PARCEL_STATUS_LABELS) == set(PARCEL_STATUSES)  # noqa: S101


def round_status_label(status: str | None) -> str:
    return str(ROUND_STATUS_LABELS.get(status or "", status or ""))


def parcel_status_label(status: str | None) -> str:
    return str(PARCEL_STATUS_LABELS.get(status or "", status or ""))


def round_status_tone(status: str | None) -> str:
    return ROUND_STATUS_TONES.get(status or "", "")


def parcel_status_tone(status: str | None) -> str:
    return PARCEL_STATUS_TONES.get(status or "", "")


def register_template_helpers(bp: Blueprint) -> None:
    """Make the status filters available to every template of the app."""
    bp.add_app_template_filter(round_status_label, "round_status_label")
    bp.add_app_template_filter(parcel_status_label, "parcel_status_label")
    bp.add_app_template_filter(round_status_tone, "round_status_tone")
    bp.add_app_template_filter(parcel_status_tone, "parcel_status_tone")
