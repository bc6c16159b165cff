"""Share links: create one (who it is for, how many days), revoke one."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from kitlog.forms import KitlogForm
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


class RevokeShareLinkForm(KitlogForm):
    """Only the CSRF token: the link to revoke is in the URL."""
