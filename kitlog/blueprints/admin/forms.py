"""Creating and editing user accounts, and resetting a password."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from kitlog.blueprints.auth.forms import NEW_PASSWORD_HINT, language_choices
from kitlog.forms import CHOOSE_FROM_LIST, IdSelectField, KitlogForm, choice
from kitlog.names import ROLE_NAMES
from kitlog.services.users import MAX_PASSWORD_LENGTH

DONOR_HINT = _l("Only for the Donor role: the donor whose batches this user may see.")


def role_choices() -> list:
    return [choice(role, label) for role, label in ROLE_NAMES.items()]


class UserFields(KitlogForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(
        _l("Role"),
        choices=role_choices(),
        validators=[DataRequired()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    donor = IdSelectField(_l("Donor"), blank=_l("No donor"), description=DONOR_HINT)
    language = SelectField(
        _l("Language"),
        choices=language_choices(),
        validators=[DataRequired()],
        invalid_choice_message=CHOOSE_FROM_LIST,
    )


class NewPasswordFields(KitlogForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        description=NEW_PASSWORD_HINT,
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class UserCreateForm(UserFields, NewPasswordFields):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


class UserEditForm(UserFields):
    active = BooleanField(
        _l("Active: the user can log in"),
        description=_l("Deactivate instead of deleting: the user's past work stays recorded."),
    )


class PasswordResetForm(NewPasswordFields):
    keep_tokens = BooleanField(_l("Keep the user's API tokens working"), default=False)
