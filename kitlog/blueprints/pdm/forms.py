"""The sample's draw and the household's survey."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from kitlog.blueprints.distribution.forms import CheckboxesField
from kitlog.forms import KITS_INPUT, FieldErrorsForm, choice
from kitlog.models.feedback import MAX_COMMENT, SATISFACTION_RANGE
from kitlog.services.pdm import MAX_SEED


class ItemsField(CheckboxesField):
    """The kit's items by position, as checkboxes; one not in the kit is refused."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DrawSampleForm(FieldErrorsForm):
    """How many households to draw, and a seed to repeat an earlier draw."""

    # WTForms' hints want str; a lazy string is translated when the page is rendered.
    size = IntegerField(
        _l("Households to survey"),  # type: ignore[arg-type]
        validators=[InputRequired(), NumberRange(min=1, max=100_000)],
        render_kw=KITS_INPUT,
    )
    seed = IntegerField(
        _l("Seed"),  # type: ignore[arg-type]
        validators=[Optional(), NumberRange(min=0, max=MAX_SEED - 1)],
        description=_l("Leave it empty for a new random draw; give an earlier seed to repeat it."),  # type: ignore[arg-type]
        render_kw=KITS_INPUT,
    )


class SurveyForm(FieldErrorsForm):
    """A household's answers about its parcel, on the field officer's phone."""

    received_complete = RadioField(
        _l("Was the kit complete?"),  # type: ignore[arg-type]
        # kitlog's choice() is a SelectChoice, which WTForms' hints do not know yet
        choices=[
            choice("yes", _l("Yes, complete")),  # type: ignore[list-item]
            choice("no", _l("No, something was missing")),  # type: ignore[list-item]
        ],
        validators=[InputRequired(message=_l("Say whether the kit was complete: yes or no."))],  # type: ignore[arg-type]
    )
    items_missing = ItemsField(
        _l("Which items were missing?"),  # type: ignore[arg-type]
    )
    satisfaction = RadioField(
        _l("How satisfied is the household, from 1 to 5?"),  # type: ignore[arg-type]
        coerce=int,
        choices=[
            choice(n, str(n))  # type: ignore[misc]  # a SelectChoice, as above
            for n in range(SATISFACTION_RANGE[0], SATISFACTION_RANGE[1] + 1)
        ],
        validators=[
            InputRequired(
                message=_l(  # type: ignore[arg-type]
                    "Choose a satisfaction from %(low)s to %(high)s.",
                    low=SATISFACTION_RANGE[0],
                    high=SATISFACTION_RANGE[1],
                )
            )
        ],
    )
    comment = TextAreaField(
        _l("Comment"),  # type: ignore[arg-type]
        description=_l("In the household's words, if they want to add something."),  # type: ignore[arg-type]
        render_kw={"maxlength": MAX_COMMENT, "rows": 3},
    )
