"""The forms of the parcel page and of delivery at the door.

Each scan form carries a server-made idempotency key in a hidden field: submitting the
same page twice (a double tap, a resent form) is one scan, answered as a duplicate.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from kitlog.forms import CHOOSE_FROM_LIST, FilterForm, KitlogForm, choice
from kitlog.services import parcel_actions
from kitlog.services.scans import FAIL_REASON_NAMES

# Who took the parcel, as a relation to the household (the household form's words where
# they fit; the head of household takes it most often).
RECIPIENT_RELATION_LABELS = {
    "head": _l("Head of household"),
    "spouse": _l("Husband or wife"),
    "child": _l("Son or daughter"),
    "parent": _l("Father or mother"),
    "sibling": _l("Brother or sister"),
    "other": _l("Someone else"),
}

# The scan service's words for the reasons, so a reason reads the same everywhere.
FAIL_REASON_LABELS = FAIL_REASON_NAMES

# Room for a UUID, with or without hyphens; what the scans table holds at most.
KEY_LENGTH = 64


def new_key() -> str:
    """A fresh idempotency key for one scan form."""
    return str(uuid.uuid4())


def fail_reason_label(reason: str | None) -> str:
    return str(FAIL_REASON_LABELS.get(reason or "", reason or ""))


def recipient_relation_label(relation: str | None) -> str:
    return str(RECIPIENT_RELATION_LABELS.get(relation or "", relation or ""))


class _ScanForm(KitlogForm):
    """What every scan form sends: the parcel's code and the scan's idempotency key."""

    code = HiddenField(validators=[DataRequired(), Length(max=200)])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(min=8, max=KEY_LENGTH)])

    def fresh(self, code: str) -> _ScanForm:
        """Ready for a new scan of this parcel: its code and a key never used."""
        self.code.data = code
        self.idempotency_key.data = new_key()
        return self


class ParcelActionForm(_ScanForm):
    """One button of the parcel page (pack, return): the action rides on the form."""

    action = HiddenField(
        validators=[DataRequired(), AnyOf(parcel_actions.offered_at(parcel_actions.PAGE))]
    )


class _DoorForm(_ScanForm):
    """Where the officer stood, when the phone knew it (deliver.js fills these in)."""

    lat = FloatField(validators=[Optional(), NumberRange(min=-90, max=90)])
    lon = FloatField(validators=[Optional(), NumberRange(min=-180, max=180)])


class DeliveryForm(_DoorForm):
    """The parcel was handed over: to whom."""

    recipient_name = StringField(
        _l("Name of the person who received the parcel"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"},
    )
    recipient_relation = SelectField(
        _l("Relation to the household"),
        choices=[choice(value, label) for value, label in RECIPIENT_RELATION_LABELS.items()],
        default="head",
        validate_choice=False,  # validate_recipient_relation says it in kitlog's words
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="deliver", **kwargs)

    def validate_recipient_name(self, field):
        field.data = " ".join((field.data or "").split())
        if not field.data:
            raise StopValidation(str(_l("Write the name of the person who took the parcel.")))

    def validate_recipient_relation(self, field):
        if field.data not in RECIPIENT_RELATION_LABELS:
            raise StopValidation(str(CHOOSE_FROM_LIST))


class FailedDeliveryForm(_DoorForm):
    """The parcel could not be handed over: why."""

    reason = SelectField(
        _l("Why could it not be delivered?"),
        choices=[choice("", _l("Choose a reason"))]
        + [choice(value, label) for value, label in FAIL_REASON_LABELS.items()],
        validate_choice=False,  # validate_reason says it in kitlog's words
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Optional(), Length(max=500)],
        render_kw={"rows": 2},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="fail", **kwargs)

    def validate_reason(self, field):
        if field.data not in FAIL_REASON_LABELS:
            raise StopValidation(str(_l("Choose a reason from the list.")))


class LookupForm(FilterForm):
    """The short code typed (or the label's URL scanned) to find a parcel."""

    code = StringField(
        _l("Short code on the label"),
        validators=[Optional(), Length(max=200)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "enterkeyhint": "go",
            "placeholder": "ABC-DEF-GHJ",
        },
    )
