"""Translated labels for stored codes (roles, movement kinds, languages), used by forms
and templates alike so that a role or a movement kind reads the same on every page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from kitlog.models import LANGUAGES, MOVEMENT_KINDS, ROLES, MovementKind, Role
from kitlog.services.distribution import CLOSED_WITH_ROUND
from kitlog.services.stock import DAMAGED_AT_RECEIPT

ROLE_LABELS = {
    Role.ADMIN.value: _l("Administrator"),
    Role.WAREHOUSE.value: _l("Warehouse staff"),
    Role.FIELD.value: _l("Field officer"),
    Role.DONOR.value: _l("Donor"),
}

MOVEMENT_KIND_LABELS = {
    MovementKind.RECEIPT.value: _l("Receipt"),
    MovementKind.TRANSFER_OUT.value: _l("Transfer out"),
    MovementKind.TRANSFER_IN.value: _l("Transfer in"),
    MovementKind.DISPATCH.value: _l("Dispatch"),
    MovementKind.RETURN.value: _l("Return"),
    MovementKind.ADJUSTMENT.value: _l("Adjustment"),
    MovementKind.LOSS.value: _l("Loss"),
}

# Each language is named in itself, so a reader finds their own language whatever the
# page is in: these are deliberately not translated.
LANGUAGE_LABELS = {"id": "Bahasa Indonesia", "en": "English"}

# Reasons that the services write themselves, in English, into the ledger.
SYSTEM_REASONS = {
    DAMAGED_AT_RECEIPT: _l("Damaged at receipt"),
    CLOSED_WITH_ROUND: _l("Cancelled when the round was closed"),
}

assert set(ROLE_LABELS) == set(ROLES)  # noqa: S101 - a new role needs a label
assert set(MOVEMENT_KIND_LABELS) == set(MOVEMENT_KINDS)  # noqa: S101
assert set(LANGUAGE_LABELS) == set(LANGUAGES)  # noqa: S101


def role_label(role: str | None) -> str:
    return str(ROLE_LABELS.get(role or "", role or ""))


def kind_label(kind: str | None) -> str:
    return str(MOVEMENT_KIND_LABELS.get(kind or "", kind or ""))


def language_label(language: str | None) -> str:
    return LANGUAGE_LABELS.get(language or "", language or "")


def reason_label(reason: str | None) -> str:
    """A reason the system wrote is shown translated; a person's own words as written."""
    reason = reason or ""
    return str(SYSTEM_REASONS.get(reason, reason))
