"""Login and profile forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from kitlog.forms import KitlogForm, choice
from kitlog.names import LANGUAGE_NAMES
from kitlog.services.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

NEW_PASSWORD_HINT = _l(
    "At least %(n)s characters, not your email address and not a common password.",
    n=MIN_PASSWORD_LENGTH,
)


def language_choices() -> list:
    return [choice(code, label) for code, label in LANGUAGE_NAMES.items()]


class LoginForm(KitlogForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(
        _l("Stay logged in on this device for up to 30 days (only on your own device)"),
        default=False,
    )


class LanguageForm(KitlogForm):
    language = SelectField(_l("Language"), choices=language_choices(), validators=[DataRequired()])


class PasswordChangeForm(KitlogForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        description=NEW_PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    keep_tokens = BooleanField(_l("Keep my API tokens working"), default=False)


class TokenForm(KitlogForm):
    name = StringField(
        _l("What the token is for"),
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "off", "placeholder": _l("e.g. Donor report spreadsheet")},
    )


class RevokeTokenForm(KitlogForm):
    """Only the CSRF token: the token to revoke is in the URL."""
