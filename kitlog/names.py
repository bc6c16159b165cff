"""The display names of stored codes: every vocabulary kitlog stores in English (statuses,
scan actions, reasons, roles, relations, movement kinds, audited acts, label layouts) and
the words a reader sees for it, in one registry.

The database, the API and the logs keep the codes; pages, forms, messages and documents
show these names, so a status or a role reads the same everywhere. A vocabulary has two
forms where a sentence needs its own: `*_NAMES` is the name shown on its own (a badge, a
filter, a table cell, a choice), `*_IN_TEXT` the lower-case word inside a message ("This
parcel is delivered"). Services, blueprints and the template filters (kitlog.templating)
import from here; the documents, which import no Flask, receive the names already
translated.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from kitlog.documents.labels import LAYOUTS
from kitlog.documents.spreadsheets import TABLES
from kitlog.i18n import current_language
from kitlog.models import (
    CLOSED_WITH_ROUND,
    DAMAGED_AT_RECEIPT,
    FAIL_REASONS,
    FEEDBACK_CATEGORIES,
    HOUSEHOLD_STATUSES,
    LANGUAGES,
    MANIFEST_STATUSES,
    MOVEMENT_KINDS,
    PARCEL_FLAGS,
    PARCEL_STATUSES,
    PLACE_LEVELS,
    PROOF_KINDS,
    RELATIONS,
    ROLES,
    ROUND_MODES,
    ROUND_STATUSES,
    SCAN_ACTIONS,
    UNLOADED,
    VERIFICATIONS,
    VULNERABILITIES,
    FailReason,
    FeedbackCategory,
    HouseholdStatus,
    KitItem,
    KitType,
    ManifestStatus,
    MovementKind,
    ParcelEvent,
    ParcelFlag,
    ParcelStatus,
    ProofKind,
    Relation,
    Role,
    RoundMode,
    RoundStatus,
    ScanAction,
    Verification,
)
from kitlog.models.feedback import (
    FEEDBACK_CHANNELS,
    FEEDBACK_STATUSES,
    FeedbackChannel,
    FeedbackStatus,
)

# -- places --------------------------------------------------------------------------------

# The levels of Indonesia's official places, as a sentence names them.
PLACE_LEVEL_IN_TEXT: dict[str, LazyString] = {
    "province": _l("province"),
    "regency": _l("regency or city"),
    "district": _l("district"),
    "village": _l("village"),
}
# What a form or a file that leaves a level out is told.
PLACE_MISSING: dict[str, LazyString] = {
    "province": _l("Choose the province."),
    "regency": _l("Choose the regency or city."),
    "district": _l("Choose the district."),
    "village": _l("Choose the village."),
}
assert set(PLACE_LEVEL_IN_TEXT) == set(PLACE_MISSING) == set(PLACE_LEVELS)  # noqa: S101


# -- people --------------------------------------------------------------------------------

ROLE_NAMES: dict[str, LazyString] = {
    Role.ADMIN.value: _l("Administrator"),
    Role.WAREHOUSE.value: _l("Warehouse staff"),
    Role.FIELD.value: _l("Field officer"),
    Role.DONOR.value: _l("Donor"),
}

# Each language is named in itself, so a reader finds their own language whatever the
# page is in: these are deliberately not translated.
LANGUAGE_NAMES: dict[str, str] = {"id": "Bahasa Indonesia", "en": "English"}

# What each audited act is called in the log (the stored code stays English).
AUDIT_ACTION_NAMES: dict[str, LazyString] = {
    "household.view": _l("Household record read"),
    "households.list": _l("Household list read"),
    "household.edit": _l("Household corrected"),
    "export.personal_data": _l("Personal data exported"),
    "print.names": _l("Document printed with names"),
    "manifest.households": _l("Trip households read"),
    "follow_ups.households": _l("Follow-up households read"),
    "households.anonymise": _l("Households anonymised"),
    "user.role_change": _l("Role changed"),
    "user.deactivate": _l("User deactivated"),
    "user.reactivate": _l("User reactivated"),
    "stock.adjustment": _l("Stock adjusted"),
    "stock.loss": _l("Stock loss recorded"),
    "parcel.cancel": _l("Parcel cancelled"),
    "card.issue": _l("Household card issued"),
    "card.reissue": _l("Household card reissued"),
    "parcel.flag_resolved": _l("Card mismatch resolved"),
    "card.lookup": _l("Household found by its card"),
    "site.households": _l("Site households saved on a phone"),
    "collector.add": _l("Collector named"),
    "collector.deactivate": _l("Collector removed"),
    "feedback.sensitive_read": _l("Sensitive feedback read"),
    "pdm.sample": _l("Monitoring sample drawn"),
    "pdm.response": _l("Monitoring answers recorded"),
    "pdm.households": _l("Monitoring households read"),
}

# -- stock ---------------------------------------------------------------------------------

MOVEMENT_KIND_NAMES: dict[str, LazyString] = {
    MovementKind.RECEIPT.value: _l("Receipt"),
    MovementKind.TRANSFER_OUT.value: _l("Transfer out"),
    MovementKind.TRANSFER_IN.value: _l("Transfer in"),
    MovementKind.DISPATCH.value: _l("Dispatch"),
    MovementKind.RETURN.value: _l("Return"),
    MovementKind.ADJUSTMENT.value: _l("Adjustment"),
    MovementKind.LOSS.value: _l("Loss"),
}

# Reasons and notes that the services write themselves, in English, into the ledger and
# the parcels' events; any other reason is a person's own words and is shown as written.
SYSTEM_REASON_NAMES: dict[str, LazyString] = {
    DAMAGED_AT_RECEIPT: _l("Damaged at receipt"),
    CLOSED_WITH_ROUND: _l("Cancelled when the round was closed"),
}

# -- households ----------------------------------------------------------------------------

HOUSEHOLD_STATUS_NAMES: dict[str, LazyString] = {
    HouseholdStatus.ACTIVE.value: _l("Active"),
    HouseholdStatus.INACTIVE.value: _l("Inactive"),
}

# The head of household's relation to the migrant worker.
RELATION_NAMES: dict[str, LazyString] = {
    Relation.SELF.value: _l("The head of household is the migrant worker"),
    Relation.SPOUSE.value: _l("Husband or wife"),
    Relation.CHILD.value: _l("Son or daughter"),
    Relation.PARENT.value: _l("Father or mother"),
    Relation.SIBLING.value: _l("Brother or sister"),
    Relation.OTHER.value: _l("Other relative"),
}

VULNERABILITY_NAMES: dict[str, LazyString] = {
    "elderly": _l("Elderly person (60 or older)"),
    "disability": _l("Person with a disability"),
    "pregnant": _l("Pregnant woman"),
    "under5": _l("Child under 5"),
}

# Short forms for badges in lists.
VULNERABILITY_BADGE_NAMES: dict[str, LazyString] = {
    "elderly": _l("Elderly"),
    "disability": _l("Disability"),
    "pregnant": _l("Pregnant"),
    "under5": _l("Under 5"),
}

# -- rounds and parcels --------------------------------------------------------------------

ROUND_STATUS_NAMES: dict[str, LazyString] = {
    RoundStatus.DRAFT.value: _l("Draft"),
    RoundStatus.OPEN.value: _l("Open"),
    RoundStatus.CLOSED.value: _l("Closed"),
}

ROUND_STATUS_IN_TEXT: dict[str, LazyString] = {
    RoundStatus.DRAFT.value: _l("draft"),
    RoundStatus.OPEN.value: _l("open"),
    RoundStatus.CLOSED.value: _l("closed"),
}

PARCEL_STATUS_NAMES: dict[str, LazyString] = {
    ParcelStatus.ALLOCATED.value: _l("Allocated"),
    ParcelStatus.PACKED.value: _l("Packed"),
    ParcelStatus.DISPATCHED.value: _l("Dispatched"),
    ParcelStatus.DELIVERED.value: _l("Delivered"),
    ParcelStatus.FAILED.value: _l("Delivery failed"),
    ParcelStatus.RETURNED.value: _l("Returned"),
    ParcelStatus.CANCELLED.value: _l("Cancelled"),
}

PARCEL_STATUS_IN_TEXT: dict[str, LazyString] = {
    ParcelStatus.ALLOCATED.value: _l("allocated"),
    ParcelStatus.PACKED.value: _l("packed"),
    ParcelStatus.DISPATCHED.value: _l("dispatched"),
    ParcelStatus.DELIVERED.value: _l("delivered"),
    ParcelStatus.FAILED.value: _l("failed"),
    ParcelStatus.RETURNED.value: _l("returned"),
    ParcelStatus.CANCELLED.value: _l("cancelled"),
}

# A history entry that keeps the parcel's status is named by what it did: loading onto a
# manifest keeps a parcel packed, and must not read as a second "Packed".
LOADED: LazyString = _l("Loaded")

# Badge classes of templates/_macros (badge-ok, badge-warn, badge-danger; plain otherwise).
ROUND_STATUS_TONES: dict[str, str] = {RoundStatus.OPEN.value: "ok", RoundStatus.DRAFT.value: "warn"}
PARCEL_STATUS_TONES: dict[str, str] = {
    ParcelStatus.DELIVERED.value: "ok",
    ParcelStatus.RETURNED.value: "warn",
    ParcelStatus.FAILED.value: "danger",
}

# Why an allocation passes a household by (the codes of services.distribution.Skip).
SKIP_REASON_NAMES: dict[str, LazyString] = {
    "already_allocated": _l("Already has a parcel in this round."),
    "inactive": _l("The household is inactive."),
    "no_consent": _l("The household has not given consent to the use of its data."),
    "not_vulnerable": _l(
        "For now this round serves only vulnerable households; this household has no vulnerability."
    ),
    "outside_area": _l("The household lives outside the round's area."),
}

# -- scans, delivery and manifests ---------------------------------------------------------

SCAN_ACTION_IN_TEXT: dict[str, LazyString] = {
    ScanAction.PACK.value: _l("pack"),
    ScanAction.LOAD.value: _l("load"),
    ScanAction.DELIVER.value: _l("deliver"),
    ScanAction.FAIL.value: _l("failed delivery"),
    ScanAction.RETURN.value: _l("return"),
}

FAIL_REASON_NAMES: dict[str, LazyString] = {
    FailReason.NOBODY_HOME.value: _l("Nobody home"),
    FailReason.MOVED.value: _l("Moved away"),
    FailReason.REFUSED.value: _l("Refused the parcel"),
    FailReason.WRONG_ADDRESS.value: _l("Wrong address"),
    FailReason.OTHER.value: _l("Other"),
}

# Who took the parcel at the door, as a relation to the household (the household form's
# words where they fit; the head of household takes it most often).
RECIPIENT_RELATION_NAMES: dict[str, LazyString] = {
    "head": _l("Head of household"),
    "spouse": _l("Husband or wife"),
    "child": _l("Son or daughter"),
    "parent": _l("Father or mother"),
    "sibling": _l("Brother or sister"),
    "other": _l("Someone else"),
}

# What a round asks to keep of each delivery (the round form's choices, the parcel page).
PROOF_KIND_NAMES: dict[str, LazyString] = {
    ProofKind.NONE.value: _l("No proof"),
    ProofKind.SIGNATURE.value: _l("The recipient's signature"),
    ProofKind.PHOTO.value: _l("A photo of the handover"),
}

# What a round asks a delivery to carry besides the parcel's label, and where its parcels
# are handed over (the round form's choices, with a line each saying what it means).
VERIFICATION_NAMES: dict[str, LazyString] = {
    Verification.NONE.value: _l("The parcel's label only"),
    Verification.CARD.value: _l("The parcel's label and the household's card"),
}

VERIFICATION_HINTS: dict[str, LazyString] = {
    Verification.NONE.value: _l("Scanning the parcel's label is enough to deliver it."),
    Verification.CARD.value: _l(
        "The household's card must be scanned too, and must match the parcel's household:"
        " a household without a card cannot receive its parcel."
    ),
}

ROUND_MODE_NAMES: dict[str, LazyString] = {
    RoundMode.DOOR.value: _l("Door to door"),
    RoundMode.SITE.value: _l("At distribution sites"),
}

ROUND_MODE_HINTS: dict[str, LazyString] = {
    RoundMode.DOOR.value: _l("Field officers take the parcels to each household's door."),
    RoundMode.SITE.value: _l(
        "Households come to collect their parcels at the round's distribution sites."
    ),
}

# Why a parcel needs a person's attention besides its status (the follow-ups page).
PARCEL_FLAG_NAMES: dict[str, LazyString] = {
    ParcelFlag.CARD_MISMATCH.value: _l("Card did not match at sync"),
}

# What a piece of feedback is about (FeedbackCategory).
FEEDBACK_CATEGORY_NAMES: dict[str, LazyString] = {
    FeedbackCategory.NOT_RECEIVED.value: _l("Parcel not received"),
    FeedbackCategory.DAMAGED.value: _l("Kit damaged"),
    FeedbackCategory.MISSING_ITEMS.value: _l("Items missing from the kit"),
    FeedbackCategory.WRONG_PERSON.value: _l("Given to the wrong person"),
    FeedbackCategory.STAFF_CONDUCT.value: _l("Staff conduct"),
    FeedbackCategory.QUESTION.value: _l("Question"),
    FeedbackCategory.OTHER.value: _l("Other"),
}

MANIFEST_STATUS_NAMES: dict[str, LazyString] = {
    ManifestStatus.OPEN.value: _l("Open"),
    ManifestStatus.DISPATCHED.value: _l("Dispatched"),
    ManifestStatus.CLOSED.value: _l("Closed"),
    ManifestStatus.CANCELLED.value: _l("Cancelled"),
}

MANIFEST_STATUS_IN_TEXT: dict[str, LazyString] = {
    ManifestStatus.OPEN.value: _l("open"),
    ManifestStatus.DISPATCHED.value: _l("dispatched"),
    ManifestStatus.CLOSED.value: _l("closed"),
    ManifestStatus.CANCELLED.value: _l("cancelled"),
}

# -- printing ------------------------------------------------------------------------------

# Each label sheet layout as staff know it: the sheet and the label size.
LAYOUT_NAMES: dict[str, LazyString] = {
    "a4-3x8": _l("A4 sheet of 24 labels (L7159)"),
    "a4-3x7": _l("A4 sheet of 21 labels (L7160)"),
    "thermal-50x30": _l("Thermal label 50 × 30 mm"),
}

# -- feedback and complaints ---------------------------------------------------------------

# How feedback reached kitlog (FeedbackChannel).
FEEDBACK_CHANNEL_NAMES: dict[str, LazyString] = {
    FeedbackChannel.OFFICER.value: _l("Field officer"),
    FeedbackChannel.PHONE.value: _l("Hotline call"),
    FeedbackChannel.PUBLIC.value: _l("Household's own page"),
}

# Where its answer stands (FeedbackStatus).
FEEDBACK_STATUS_NAMES: dict[str, LazyString] = {
    FeedbackStatus.OPEN.value: _l("Open"),
    FeedbackStatus.REFERRED.value: _l("Referred"),
    FeedbackStatus.RESOLVED.value: _l("Resolved"),
    FeedbackStatus.CLOSED.value: _l("Closed"),
}

FEEDBACK_STATUS_TONES: dict[str, str] = {
    FeedbackStatus.OPEN.value: "warn",
    FeedbackStatus.RESOLVED.value: "ok",
}

# Every stored code of a closed vocabulary has a name: a new code needs one here.
_COMPLETE: tuple[tuple[Mapping[str, object], tuple[str, ...]], ...] = (
    (ROLE_NAMES, ROLES),
    (LANGUAGE_NAMES, LANGUAGES),
    (MOVEMENT_KIND_NAMES, MOVEMENT_KINDS),
    (HOUSEHOLD_STATUS_NAMES, HOUSEHOLD_STATUSES),
    (RELATION_NAMES, RELATIONS),
    (VULNERABILITY_NAMES, VULNERABILITIES),
    (VULNERABILITY_BADGE_NAMES, VULNERABILITIES),
    (ROUND_STATUS_NAMES, ROUND_STATUSES),
    (ROUND_STATUS_IN_TEXT, ROUND_STATUSES),
    (PARCEL_STATUS_NAMES, PARCEL_STATUSES),
    (PARCEL_STATUS_IN_TEXT, PARCEL_STATUSES),
    (SCAN_ACTION_IN_TEXT, SCAN_ACTIONS),
    (FAIL_REASON_NAMES, FAIL_REASONS),
    (PROOF_KIND_NAMES, PROOF_KINDS),
    (VERIFICATION_NAMES, VERIFICATIONS),
    (VERIFICATION_HINTS, VERIFICATIONS),
    (ROUND_MODE_NAMES, ROUND_MODES),
    (ROUND_MODE_HINTS, ROUND_MODES),
    (PARCEL_FLAG_NAMES, PARCEL_FLAGS),
    (FEEDBACK_CATEGORY_NAMES, FEEDBACK_CATEGORIES),
    (MANIFEST_STATUS_NAMES, MANIFEST_STATUSES),
    (MANIFEST_STATUS_IN_TEXT, MANIFEST_STATUSES),
    (LAYOUT_NAMES, tuple(LAYOUTS)),
    (FEEDBACK_CHANNEL_NAMES, FEEDBACK_CHANNELS),
    (FEEDBACK_STATUS_NAMES, FEEDBACK_STATUSES),
)
assert all(set(names) == set(codes) for names, codes in _COMPLETE)  # noqa: S101


def name_of(names: Mapping[str, object], code: str | None) -> str:
    """The display name of `code` in `names`; an unknown code is shown as stored."""
    return str(names.get(code or "", code or ""))


# -- kit types: named by the people who make them, in English and in Indonesian ------------


def in_reader_language(english: str, indonesian: str, language: str | None = None) -> str:
    """The Indonesian name for a reader in Indonesian when there is one, else the English:
    the English name is required, the Indonesian one may be left empty."""
    if (language or current_language()) == "id" and indonesian.strip():
        return indonesian
    return english


def kit_type_name(kit_type: KitType, language: str | None = None) -> str:
    """A kit type's name in the reader's language (the page's, unless `language`)."""
    return in_reader_language(kit_type.name, kit_type.name_id or "", language)


def kit_item_name(line: KitItem, language: str | None = None) -> str:
    """One line of a kit's contents named in the reader's language."""
    return in_reader_language(line.item, line.item_id or "", language)


def proof_kind_name(kind: str | None) -> str:
    return name_of(PROOF_KIND_NAMES, kind)


def verification_name(verification: str | None) -> str:
    return name_of(VERIFICATION_NAMES, verification)


def round_mode_name(mode: str | None) -> str:
    return name_of(ROUND_MODE_NAMES, mode)


def parcel_flag_name(flag: str | None) -> str:
    return name_of(PARCEL_FLAG_NAMES, flag)


def feedback_category_name(category: str | None) -> str:
    return name_of(FEEDBACK_CATEGORY_NAMES, category)


def role_name(role: str | None) -> str:
    return name_of(ROLE_NAMES, role)


def language_name(language: str | None) -> str:
    return name_of(LANGUAGE_NAMES, language)


def movement_kind_name(kind: str | None) -> str:
    return name_of(MOVEMENT_KIND_NAMES, kind)


def reason_name(reason: str | None) -> str:
    """A reason the system wrote is shown translated; a person's own words as written."""
    return name_of(SYSTEM_REASON_NAMES, reason)


def round_status_name(status: str | None) -> str:
    return name_of(ROUND_STATUS_NAMES, status)


def parcel_status_name(status: str | None) -> str:
    return name_of(PARCEL_STATUS_NAMES, status)


def parcel_event_name(event: ParcelEvent) -> str:
    """A parcel's history entry: its new status, or "Loaded" for a load (packed → packed,
    unlike taking the parcel off a manifest, which also keeps it packed)."""
    if event.from_status == event.status == ParcelStatus.PACKED and not (
        event.note or ""
    ).startswith(UNLOADED):
        return str(LOADED)
    return parcel_status_name(event.status)


def manifest_status_name(status: str | None) -> str:
    return name_of(MANIFEST_STATUS_NAMES, status)


def fail_reason_name(reason: str | None) -> str:
    return name_of(FAIL_REASON_NAMES, reason)


def recipient_relation_name(relation: str | None) -> str:
    return name_of(RECIPIENT_RELATION_NAMES, relation)


def layout_name(layout: str | None) -> str:
    return name_of(LAYOUT_NAMES, layout)


def feedback_channel_name(channel: str | None) -> str:
    return name_of(FEEDBACK_CHANNEL_NAMES, channel)


def feedback_status_name(status: str | None) -> str:
    return name_of(FEEDBACK_STATUS_NAMES, status)


def feedback_status_tone(status: str | None) -> str:
    return FEEDBACK_STATUS_TONES.get(status or "", "")


def round_status_tone(status: str | None) -> str:
    return ROUND_STATUS_TONES.get(status or "", "")


def parcel_status_tone(status: str | None) -> str:
    return PARCEL_STATUS_TONES.get(status or "", "")


# The donor report's tables, as the links to their CSV files name them (the workbook's
# sheets have the same names).
REPORT_TABLE_NAMES: dict[str, LazyString] = {
    "by_region": _l("By region"),
    "batches": _l("Batches"),
    "timeline": _l("Timeline"),
    "feedback": _l("Feedback"),
    "pdm": _l("Monitoring (PDM)"),
}
assert set(REPORT_TABLE_NAMES) == set(TABLES)  # noqa: S101
