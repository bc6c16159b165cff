"""Share links: create one (who it is for, how many days, in which language), revoke one."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from kitlog.blueprints.auth.forms import language_choices
from kitlog.forms import KitlogForm
from kitlog.i18n import current_language
from kitlog.services.share_links import DEFAULT_DAYS, MAX_DAYS, MAX_LABEL, MIN_DAYS


class ShareLinkForm(KitlogForm):
    label = StringField(
        _l("Who the link is for"),
        validators=[DataRequired(), Length(max=MAX_LABEL)],
        render_kw={"autocomplete": "off", "placeholder": _l("e.g. KOICA Jakarta office")},
    )
    days = IntegerField(
        _l("Days before it stops working"),
        default=DEFAULT_DAYS,
        validators=[InputRequired(), NumberRange(min=MIN_DAYS, max=MAX_DAYS)],
        render_kw={"inputmode": "numeric", "min": MIN_DAYS, "max": MAX_DAYS},
    )
    # The page's own language unless the creator picks the other one.
    language = SelectField(
        _l("Language of the report"),
        choices=language_choices(),
        default=current_language,
        validators=[DataRequired()],
        description=_l("The link opens in this language; whoever opens it can switch."),
    )


class RevokeShareLinkForm(KitlogForm):
    """Only the CSRF token: the link to revoke is in the URL."""
