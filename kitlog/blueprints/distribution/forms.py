"""Planning a round, the parcel list's filters, and the buttons that change a round or a
parcel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from kitlog.forms import (
    CHOOSE_FROM_LIST,
    FieldErrorsForm,
    FilterForm,
    IdSelectField,
    KitlogForm,
    KitsField,
    choice,
)
from kitlog.models.distribution import MAX_ENTITLEMENT, MAX_MEMBERS_PER_KIT, MAX_ROUND_NAME
from kitlog.models.households import MAX_PLACE
from kitlog.names import (
    PARCEL_STATUS_NAMES,
    PROOF_KIND_NAMES,
    ROUND_MODE_HINTS,
    ROUND_MODE_NAMES,
    VERIFICATION_HINTS,
    VERIFICATION_NAMES,
)
from kitlog.place_fields import PLACE_INPUT, PlaceFieldsForm
from kitlog.services.distribution import DRAFT_ONLY as DRAFT_ONLY_FIELDS
from kitlog.services.distribution import MAX_REASON as MAX_NOTE

CHOOSE = _l("Choose…")


class CheckboxesField(SelectMultipleField):
    """Several rows chosen by id, as checkboxes; anything not offered is refused plainly."""

    def process_formdata(self, valuelist):
        try:
            self.data = [int(v) for v in valuelist if str(v).isdigit() and len(str(v)) < 12]
        except ValueError:  # pragma: no cover - isdigit() guards it
            self.data = []
        if len(self.data) != len(valuelist):
            raise ValueError(CHOOSE_FROM_LIST)

    def pre_validate(self, form):
        offered = {value for value, *_rest in (self.choices or [])}
        if any(value not in offered for value in self.data or []):
            raise ValidationError(CHOOSE_FROM_LIST)


class RoundForm(PlaceFieldsForm, FieldErrorsForm):
    """Plan or correct a round. Its area is a province or a regency: picked from the
    lists (its code) or typed (its names, which the service matches); none, everyone."""

    PLACE_LEVELS = ("province", "regency")
    PLACE_CODES = {"province_code": ("province",), "regency_code": ("regency",)}

    name = StringField(
        _l("Name of the round"),
        validators=[DataRequired(), Length(max=MAX_ROUND_NAME)],
        description=_l("For example: KOICA hygiene kits, East Java, December 2020."),
        render_kw={"autocomplete": "off"},
    )
    warehouse = IdSelectField(
        _l("Packed and dispatched from warehouse"),
        validators=[DataRequired()],
        blank=CHOOSE,
        description=_l("Allocation reserves this warehouse's stock of the chosen batches."),
    )
    batches = CheckboxesField(
        _l("Donor batches"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one batch."))],
        description=_l(
            "Kits are taken first expiry first out across the chosen batches."
            " The kits available are shown for each warehouse."
        ),
    )
    entitlement = KitsField(
        _l("Kits per household"),
        validators=[InputRequired(), NumberRange(min=1, max=MAX_ENTITLEMENT)],
        default=1,
        description=_l("Each household's one parcel holds this many kits."),
    )
    members_per_kit = KitsField(
        _l("One kit for every N members"),
        validators=[Optional(), NumberRange(min=1, max=MAX_MEMBERS_PER_KIT)],
        description=_l(
            "Leave empty to give every household the same number of kits. With N set, a"
            " household gets one kit for every N members, rounded up, and never more than"
            " the kits per household: kits = min(kits per household, members ÷ N rounded up)."
            " With N = 4 and 2 kits per household, a household of 3 gets 1 kit, of 7 gets 2."
        ),
    )
    province = StringField(
        _l("Province"),
        validators=[Optional(), Length(max=MAX_PLACE)],
        description=_l("Leave empty for every province."),
        render_kw=PLACE_INPUT,
    )
    regency = StringField(
        _l("Regency or city"),
        validators=[Optional(), Length(max=MAX_PLACE)],
        description=_l("Leave empty for every regency of the province."),
        render_kw=PLACE_INPUT,
    )
    # The official code of the province or regency picked from the lists (places.js).
    province_code = HiddenField(validators=[Optional(), Length(max=20)])
    regency_code = HiddenField(validators=[Optional(), Length(max=20)])
    vulnerable_first = BooleanField(
        _l("Only vulnerable households, until this is cleared"),
        description=_l(
            "While this is ticked, only households with an elderly or disabled member, a"
            " pregnant woman or a child under five are eligible. Untick it later to extend"
            " the round to every household in the area."
        ),
    )
    show_head_name = BooleanField(
        _l("Show the head of household's name on labels"),
        description=_l(
            "Off by default: a label then shows only the household code and the village,"
            " so a lost parcel does not reveal who it is for."
        ),
    )
    start_date = DateField(_l("Starts"), validators=[Optional()])
    end_date = DateField(_l("Ends"), validators=[Optional()])
    proof = SelectField(
        _l("Proof of delivery"),
        choices=[choice(kind, name) for kind, name in PROOF_KIND_NAMES.items()],
        default="none",
        invalid_choice_message=CHOOSE_FROM_LIST,
        description=_l(
            "What the field officer keeps of each delivery, on the phone: without it, a"
            " delivery is refused."
        ),
    )
    # Each choice is shown with its one-line hint (HINTS); both may change while open.
    verification = RadioField(
        _l("What a delivery needs"),
        choices=[choice(value, name) for value, name in VERIFICATION_NAMES.items()],
        default="none",
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    mode = RadioField(
        _l("Where the parcels are handed over"),
        choices=[choice(value, name) for value, name in ROUND_MODE_NAMES.items()],
        default="door",
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    HINTS = {"verification": VERIFICATION_HINTS, "mode": ROUND_MODE_HINTS}

    def lock_draft_fields(self) -> None:
        """An open round keeps its batches, warehouse, entitlement and area."""
        for name in DRAFT_ONLY_FIELDS:
            self[name].render_kw = dict(self[name].render_kw or {}, disabled=True)
            self[name].flags.required = False
            self[name].validators = [Optional()]


class ActionForm(KitlogForm):
    """A button that changes something: only the CSRF token."""


class CancelParcelForm(KitlogForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=MAX_NOTE)],
        description=_l("For example: the household moved away, or the kit was damaged."),
        render_kw={"rows": 2},
    )


class ParcelFilterForm(FilterForm):
    status = SelectField(
        _l("Status"),
        choices=[choice("", _l("Every status"))]
        + [choice(status, label) for status, label in PARCEL_STATUS_NAMES.items()],
        default="",
        validators=[Optional()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    village = StringField(_l("Village"), validators=[Optional(), Length(max=MAX_PLACE)])
