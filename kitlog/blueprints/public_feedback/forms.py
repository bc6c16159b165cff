"""The household's feedback form: what it is about, in plain words, and what happened."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from kitlog.forms import FieldErrorsForm, choice
from kitlog.models import FeedbackCategory
from kitlog.models.feedback import MAX_FEEDBACK_TEXT

# The categories in a household's words, in the order a household is likely to need them.
CATEGORY_WORDS = [
    (FeedbackCategory.NOT_RECEIVED.value, _l("The parcel has not arrived")),
    (FeedbackCategory.DAMAGED.value, _l("The parcel is damaged")),
    (FeedbackCategory.MISSING_ITEMS.value, _l("Items are missing from the parcel")),
    (FeedbackCategory.WRONG_PERSON.value, _l("Someone else received it")),
    (FeedbackCategory.STAFF_CONDUCT.value, _l("How the staff behaved")),
    (FeedbackCategory.QUESTION.value, _l("A question")),
    (FeedbackCategory.OTHER.value, _l("Something else")),
]


class PublicFeedbackForm(FieldErrorsForm):
    """No name, phone or household to give: the card in the address says whose it is."""

    category = RadioField(
        _l("What is it about?"),  # type: ignore[arg-type]
        choices=[choice(value, words) for value, words in CATEGORY_WORDS],  # type: ignore[misc]
        validate_choice=False,  # AnyOf says it in plain words, once
        validators=[
            AnyOf(  # type: ignore[call-overload]
                [value for value, _words in CATEGORY_WORDS],
                message=_l("Choose what your feedback is about."),
            )
        ],
    )
    text = TextAreaField(
        _l("Your message"),  # type: ignore[arg-type]
        description=_l("Tell us what happened. Do not write your NIK."),  # type: ignore[arg-type]
        validators=[
            DataRequired(message=_l("Write your message.")),  # type: ignore[arg-type]
            Length(
                max=MAX_FEEDBACK_TEXT,
                message=_l("Keep this under %(n)s characters.", n=MAX_FEEDBACK_TEXT),  # type: ignore[arg-type]
            ),
        ],
    )
    # A honeypot: hidden from people (off screen, aria-hidden, out of the tab order), so
    # whatever fills it is a robot.
    website = StringField(_l("Leave this empty"))  # type: ignore[arg-type]
