"""The feedback forms: the list's filters, recording an entry, and answering it.

The recording form's fields are named as the API's (category, channel, household,
parcel, sensitive, text), so that a script can read the form and send it as JSON.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from kitlog.forms import CHOOSE_FROM_LIST, FieldErrorsForm, FilterForm, choice
from kitlog.models import FEEDBACK_CATEGORIES, FEEDBACK_STATUSES
from kitlog.models.feedback import MAX_FEEDBACK_TEXT, MAX_RESPONSE
from kitlog.names import (
    FEEDBACK_CATEGORY_NAMES,
    FEEDBACK_CHANNEL_NAMES,
    FEEDBACK_STATUS_NAMES,
)
from kitlog.services.feedback import STAFF_CHANNELS

# The list's status filter: waiting (open or referred, the default), each status, or all.
WAITING, EVERY = "", "all"


class FeedbackFilterForm(FilterForm):
    status = SelectField(
        _l("Status"),
        choices=[
            choice(WAITING, _l("Open or referred")),
            *[choice(s, FEEDBACK_STATUS_NAMES[s]) for s in FEEDBACK_STATUSES],
            choice(EVERY, _l("Every status")),
        ],
        default=WAITING,
        validators=[Optional()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    category = SelectField(
        _l("Category"),
        choices=[
            choice("", _l("Every category")),
            *[choice(c, FEEDBACK_CATEGORY_NAMES[c]) for c in FEEDBACK_CATEGORIES],
        ],
        default="",
        validators=[Optional()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )


class FeedbackForm(FieldErrorsForm):
    """A hotline call or a field officer's entry: the service checks every value and
    lists every bad one; here only their shape."""

    channel = RadioField(
        _l("How did it reach you?"),
        choices=[choice(c, FEEDBACK_CHANNEL_NAMES[c]) for c in STAFF_CHANNELS],
        validators=[InputRequired(message=_l("Choose how it reached you."))],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    category = RadioField(
        _l("What is it about?"),
        choices=[choice(c, FEEDBACK_CATEGORY_NAMES[c]) for c in FEEDBACK_CATEGORIES],
        validators=[InputRequired(message=_l("Choose what it is about."))],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    household = StringField(
        _l("Household code"),
        description=_l("For example HH-000123, when the household is known."),
        validators=[Optional(), Length(max=16)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    parcel = StringField(
        _l("Parcel code"),
        description=_l("The code on the parcel's label (ABC-DEF-GHJ), when it is about a parcel."),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    text = TextAreaField(
        _l("What did they say?"),
        description=_l("In their own words, as far as you can."),
        validators=[
            InputRequired(message=_l("Say what the feedback is.")),
            Length(max=MAX_FEEDBACK_TEXT),
        ],
        render_kw={"rows": 5},
    )
    sensitive = BooleanField(
        _l("Sensitive: for administrators only (staff conduct always is)"),
    )

    def values(self) -> dict[str, object]:
        """The values as the service (and the API) take them."""
        return {
            "channel": self.channel.data,
            "category": self.category.data,
            "household": (self.household.data or "").strip() or None,
            "parcel": (self.parcel.data or "").strip() or None,
            "text": self.text.data,
            "sensitive": bool(self.sensitive.data),
        }


class FeedbackStatusForm(FieldErrorsForm):
    """An administrator's answer: the new status and the response."""

    status = RadioField(
        _l("New status"),
        choices=[choice(s, FEEDBACK_STATUS_NAMES[s]) for s in FEEDBACK_STATUSES],
        validators=[InputRequired(message=_l("Choose the new status."))],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    response = TextAreaField(
        _l("Response"),
        description=_l("What was done or said: needed to resolve or close it."),
        validators=[Optional(), Length(max=MAX_RESPONSE)],
        render_kw={"rows": 4},
    )
