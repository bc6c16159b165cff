"""Login and profile forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm  # noqa: F401
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length

from kitlog.forms import KitlogForm


class LoginForm(KitlogForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class LanguageForm(FlaskForm):
    language = SelectField(choices=[("id", "Bahasa Indonesia"), ("en", "English")])
