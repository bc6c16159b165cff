"""The forms of the parcel page and of delivery at the door.

Each scan form carries a server-made idempotency key in a hidden field: submitting the
same page twice (a double tap, a resent form) is one scan, answered as a duplicate.
"""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import (
    FloatField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from kitlog.forms import CHOOSE_FROM_LIST, FilterForm, KitlogForm, choice
from kitlog.names import FAIL_REASON_NAMES, RECIPIENT_RELATION_NAMES, recipient_relation_name
from kitlog.services import parcel_actions

# Room for a UUID, with or without hyphens; what the scans table holds at most.
KEY_LENGTH = 64


def new_key() -> str:
    """A fresh idempotency key for one scan form."""
    return str(uuid.uuid4())


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


# Who took the parcel: the head, someone else (named), or one of the household's
# collectors, whose choice is COLLECTOR_PREFIX and the collector's id.
HEAD = "head"
OTHER = "other"
COLLECTOR_PREFIX = "c"
# Someone else's relation: the head has a choice of their own.
OTHER_RELATIONS = {k: v for k, v in RECIPIENT_RELATION_NAMES.items() if k != HEAD}


def collector_choice(collector_id: int) -> str:
    """The recipient choice that names a collector."""
    return f"{COLLECTOR_PREFIX}{collector_id}"


def collector_of(value: str | None) -> int | None:
    """The collector id a recipient choice names, or None for the head or someone else."""
    value = value or ""
    if value.startswith(COLLECTOR_PREFIX) and value[1:].isdigit() and len(value) <= 11:
        return int(value[1:])
    return None


class DeliveryForm(_DoorForm):
    """The parcel was handed over: to whom (the head, a collector the household named, or
    someone else by name), with the household's card when its round asks for one."""

    card = StringField(
        _l("Household card"),
        description=_l("Scan the QR code on the household's card, or type the code under it."),
        validators=[Length(max=2000)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "placeholder": "ABC-DEF-GHJ",
        },
    )
    recipient = RadioField(
        _l("Who took the parcel?"),
        choices=[choice(HEAD, _l("Head of household")), choice(OTHER, _l("Someone else"))],
        default=HEAD,
        validate_choice=False,  # validate_recipient says it in kitlog's words
    )
    recipient_name = StringField(
        _l("Name of the person who received the parcel"),
        validators=[Length(max=120)],
        render_kw={"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"},
    )
    recipient_relation = SelectField(
        _l("Relation to the household"),
        choices=[choice("", _l("Choose the relation"))]
        + [choice(value, label) for value, label in OTHER_RELATIONS.items()],
        default="",
        validate_choice=False,  # validate_recipient_relation says it in kitlog's words
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="deliver", **kwargs)

    def offer(self, head_name: str | None, collectors) -> DeliveryForm:
        """The choices of this household: its head (named when the page shows names),
        each active collector (name, relation), someone else."""
        head = _l("Head of household")
        self.recipient.choices = [
            choice(HEAD, f"{head} ({head_name})" if head_name else head),
            *[
                choice(collector_choice(c.id), f"{c.name} ({recipient_relation_name(c.relation)})")
                for c in collectors
            ],
            choice(OTHER, _l("Someone else")),
        ]
        return self

    @property
    def someone_else(self) -> bool:
        return self.recipient.data == OTHER

    def validate_recipient(self, field):
        offered = {option.value for option in field.choices}
        if field.data not in offered:
            raise StopValidation(str(CHOOSE_FROM_LIST))

    def validate_recipient_name(self, field):
        field.data = " ".join((field.data or "").split())
        if self.someone_else and not field.data:
            raise StopValidation(str(_l("Write the name of the person who took the parcel.")))

    def validate_recipient_relation(self, field):
        if self.someone_else and field.data not in OTHER_RELATIONS:
            raise StopValidation(str(CHOOSE_FROM_LIST))


class FailedDeliveryForm(_DoorForm):
    """The parcel could not be handed over: why."""

    reason = SelectField(
        _l("Why could it not be delivered?"),
        choices=[choice("", _l("Choose a reason"))]
        + [choice(value, label) for value, label in FAIL_REASON_NAMES.items()],
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
        if field.data not in FAIL_REASON_NAMES:
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
